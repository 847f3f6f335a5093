package dev.groupflow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;

/**
 * SwiGLU feed-forward: {@code down(silu(gate(x)) * up(x))}. Gate and up are one fused [2I, E] matrix (rows: I
 * of gate, then I of up), split back into {@code gate_proj} / {@code up_proj} by the checkpoint mapping.
 */
public final class Mlp extends LmBlock {
    private final int inter; // I
    private final Parameter gateUpWeight; // [2I, E]
    private final Parameter gateUpBias;   // [2I] or null
    private final Parameter downWeight;   // [E, I]
    private final Parameter downBias;     // [E] or null

    public Mlp(ModelConfig c) {
        this.inter = c.intermediateSize();
        this.gateUpWeight = param("gate_up_weight", Parameter.Type.WEIGHT);
        this.gateUpBias = c.mlpBias() ? param("gate_up_bias", Parameter.Type.BIAS) : null;
        this.downWeight = param("down_weight", Parameter.Type.WEIGHT);
        this.downBias = c.mlpBias() ? param("down_bias", Parameter.Type.BIAS) : null;
    }

    Parameter gateUpWeight() {
        return gateUpWeight;
    }

    Parameter gateUpBias() {
        return gateUpBias;
    }

    Parameter downWeight() {
        return downWeight;
    }

    Parameter downBias() {
        return downBias;
    }

    /** x: [B, T, E] → [B, T, E]. */
    @Override
    public NDArray forward(NDArray x) {
        return forward(x, null, 0);
    }

    /** x: [B, T, E] → [B, T, E], with the low-rank updates of layer {@code layer}'s projections (adapters may be null). */
    public NDArray forward(NDArray x, Adapters adapters, int layer) {
        NDList gu = Linear.linear(x, value(gateUpWeight), value(gateUpBias)).singletonOrThrow()
                .split(new long[] {inter}, x.getShape().dimension() - 1);   // 2 × [B, T, I]
        NDArray gate = gu.get(0);
        NDArray up = gu.get(1);
        if (adapters != null) {
            gate = Attention.withDelta(gate, adapters.delta(layer, "gate_proj", x));
            up = Attention.withDelta(up, adapters.delta(layer, "up_proj", x));
        }
        NDArray hidden = gate.mul(Activation.sigmoid(gate)).mul(up);        // silu(gate) * up
        NDArray y = Linear.linear(hidden, value(downWeight), value(downBias)).singletonOrThrow();
        return adapters == null ? y : Attention.withDelta(y, adapters.delta(layer, "down_proj", hidden));
    }
}
