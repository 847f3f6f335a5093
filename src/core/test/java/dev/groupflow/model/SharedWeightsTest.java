package dev.groupflow.model;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A view of a model's weights (the lockstep sampler's, which reads the learner's own weights) shares the arrays, and
 * turning its gradient tracking off leaves the owner's alone: the learner trains on after its sampler is set up.
 */
class SharedWeightsTest {

    @Test
    void turningAViewsGradientsOffLeavesTheOwnersOn() {
        try (NDManager m = NDManager.newBaseManager(); CausalLm owner = CausalLm.random(TinyModels.qwen3(32), m, 1)) {
            owner.setRequiresGradient(true);
            try (CausalLm view = owner.baseView(m)) {
                view.setRequiresGradient(false);
                for (Map.Entry<String, Parameter> e : owner.parameters().entrySet()) {
                    assertSame(e.getValue().getArray(), view.parameters().get(e.getKey()).getArray(), e.getKey());
                    assertTrue(e.getValue().getArray().hasGradient(), e.getKey() + " still tracks gradients");
                }
            }
            owner.setRequiresGradient(false);
            for (Map.Entry<String, Parameter> e : owner.parameters().entrySet()) {
                assertFalse(e.getValue().getArray().hasGradient(), e.getKey() + ": the owner decides");
            }
        }
    }
}
