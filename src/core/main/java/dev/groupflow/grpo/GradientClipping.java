package dev.groupflow.grpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Collection;

/**
 * Global-norm gradient clipping (as {@code torch.nn.utils.clip_grad_norm_}): the L2 norm over all gradients
 * together; when it exceeds {@code maxNorm} every gradient is scaled by {@code maxNorm / (norm + 1e-6)}.
 */
public final class GradientClipping {
    private GradientClipping() {
    }

    /**
     * The global L2 norm of the gradients, sqrt(Σ_p ‖g_p‖²), from each gradient's own norm (one pass over it, no
     * temporary of its size) and one device→host read; NaN or infinity if any gradient is.
     */
    public static double globalNorm(Collection<Parameter> parameters) {
        try (NDScope ignored = new NDScope()) {
            NDList norms = new NDList();
            for (Parameter p : parameters) {
                NDArray w = p.getArray();
                if (w.hasGradient()) {
                    norms.add(w.getGradient().norm());
                }
            }
            if (norms.isEmpty()) {
                return 0;
            }
            return Math.sqrt(NDArrays.stack(norms).square().sum().getFloat());
        }
    }

    /**
     * Clips in place and returns the norm before clipping. Non-finite norms are returned without touching the
     * gradients (the caller skips such an update).
     */
    public static double clip(Collection<Parameter> parameters, double maxNorm) {
        double norm = globalNorm(parameters);
        if (!Double.isFinite(norm) || maxNorm <= 0 || norm <= maxNorm) {
            return norm;
        }
        float scale = (float) (maxNorm / (norm + 1e-6));
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDScope ignored = new NDScope()) {
            for (Parameter p : parameters) {
                NDArray w = p.getArray();
                if (w.hasGradient()) {
                    w.getGradient().muli(scale);
                }
            }
        } finally {
            JniUtils.setGradMode(gradMode);
        }
        return norm;
    }
}
