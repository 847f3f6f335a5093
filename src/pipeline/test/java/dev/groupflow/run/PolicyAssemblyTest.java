package dev.groupflow.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What a refused run is told to change names only what it does not do already. */
class PolicyAssemblyTest {

    @Test
    void remediesNameOnlyWhatTheRunDoesNotDoYet() {
        String full = PolicyAssembly.remedies(false, false);
        assertTrue(full.startsWith("Train adapters instead of every weight (--set lora.rank=16), recompute layers "
                + "(memory.recompute = on), lower grpo.micro-batch-tokens"), full);
        String adapters = PolicyAssembly.remedies(true, false);
        assertFalse(adapters.contains("lora.rank"), adapters);
        assertTrue(adapters.startsWith("Recompute layers (memory.recompute = on), lower"), adapters);
        assertEquals("Lower grpo.micro-batch-tokens, pipeline.sampler-batch-prompts or sampling.max-new-tokens, "
                + "or raise memory.budget if more is free than was measured.", PolicyAssembly.remedies(true, true));
        assertTrue(PolicyAssembly.remedies(false, true).startsWith("Train adapters instead of every weight "
                + "(--set lora.rank=16), lower"));
    }
}
