package dev.groupflow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;

/** RMSNorm over the last axis: {@code w * x / sqrt(mean(x^2) + eps)}. */
public final class RmsNorm extends LmBlock {
    private final Parameter weight; // [N]
    private final float eps;

    public RmsNorm(double eps) {
        this.eps = (float) eps;
        this.weight = param("weight", Parameter.Type.GAMMA);
    }

    public Parameter weight() {
        return weight;
    }

    @Override
    public NDArray forward(NDArray x) { // x: [..., N]
        return normalize(x, eps).mul(weight.getArray());
    }

    /** The weight-free part: {@code x / sqrt(mean(x^2, -1) + eps)}. */
    static NDArray normalize(NDArray x, float eps) {
        NDArray meanSquare = x.square().mean(new int[] {-1}, true); // [..., 1]
        return x.div(meanSquare.add(eps).sqrt());
    }
}
