package dev.groupflow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Base of the decoder's DJL blocks. Each block owns named {@link Parameter}s whose arrays are set directly
 * (from a checkpoint or a random initialiser) instead of through DJL's shape-inference initialisation, and
 * exposes an explicit forward method with the tensors it needs (positions, masks, KV cache). The generic
 * {@link #forwardInternal} is implemented by subclasses for single-input use.
 */
abstract class LmBlock extends AbstractBlock {

    /** Registers a parameter called {@code name}; its array is attached later with {@link Parameter#setArray}. */
    protected final Parameter param(String name, Parameter.Type type) {
        return addParameter(Parameter.builder().setName(name).setType(type).build());
    }

    /** The array of a parameter (null for an optional parameter that is absent). */
    protected static NDArray value(Parameter p) {
        return p == null ? null : p.getArray();
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        return new NDList(forward(inputs.singletonOrThrow()));
    }

    /** Single-input forward used through DJL's generic {@code Block.forward}. */
    protected NDArray forward(NDArray x) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " needs its explicit forward method");
    }
}
