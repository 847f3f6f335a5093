package dev.groupflow.pipeline;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/** What deterministic mode changes in the native engine. */
public final class Determinism {
    private Determinism() {
    }

    /**
     * Single-threaded native ops: PyTorch's intra-op parallelism splits reductions by thread count, so one thread
     * removes any dependence on how work was split. Applies to the calling thread and to threads that start their
     * first parallel work afterwards; the learner and sampler call it on their own threads too.
     */
    public static void singleThreaded() {
        Engine.getInstance();
        JniUtils.setNumThreads(1);
    }
}
