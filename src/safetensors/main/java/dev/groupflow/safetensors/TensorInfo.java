package dev.groupflow.safetensors;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * Where one tensor lives and what it looks like: name, dtype, shape (row-major, outermost dimension first, as in
 * PyTorch) and its byte range.
 *
 * <p>Byte layout: a safetensors file is {@code [u64 LE header length N][N bytes JSON][data buffer]}. The header's
 * {@code data_offsets [begin, end)} are relative to the start of the data buffer, i.e. the absolute file position of
 * the first byte is {@code 8 + N + begin} ({@link #filePosition()}). All positions are {@code long}, so files and
 * tensors larger than 2 GB are described correctly. Immutable.
 */
public final class TensorInfo {

    private final String name;
    private final Dtype dtype;
    private final long[] shape;
    private final long numElements;
    private final long begin;
    private final long end;
    private final long filePosition;
    private final Path file;

    TensorInfo(String name, Dtype dtype, long[] shape, long numElements, long begin, long end, long dataStart,
            Path file) {
        this.name = Objects.requireNonNull(name);
        this.dtype = Objects.requireNonNull(dtype);
        this.shape = shape.clone();
        this.numElements = numElements;
        this.begin = begin;
        this.end = end;
        this.filePosition = dataStart + begin;
        this.file = file;
    }

    /** The tensor name as in the header, e.g. {@code model.layers.0.self_attn.q_proj.weight}. */
    public String name() {
        return name;
    }

    /** Element type as stored in the file. */
    public Dtype dtype() {
        return dtype;
    }

    /** Shape, outermost dimension first (a copy; a scalar has an empty shape). */
    public long[] shape() {
        return shape.clone();
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i}. */
    public long dim(int i) {
        return shape[i];
    }

    /** Product of the shape (1 for a scalar). */
    public long numElements() {
        return numElements;
    }

    /** Stored size in bytes: {@code numElements() * dtype().size()}, equal to {@code end() - begin()}. */
    public long byteSize() {
        return end - begin;
    }

    /** Start of the data, relative to the data buffer (the header's {@code data_offsets[0]}). */
    public long begin() {
        return begin;
    }

    /** End (exclusive) of the data, relative to the data buffer (the header's {@code data_offsets[1]}). */
    public long end() {
        return end;
    }

    /** Absolute position of the first data byte in the file. */
    public long filePosition() {
        return filePosition;
    }

    /** The file this tensor lives in. */
    public Path file() {
        return file;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TensorInfo)) {
            return false;
        }
        TensorInfo t = (TensorInfo) o;
        return name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape) && begin == t.begin
                && end == t.end && filePosition == t.filePosition && Objects.equals(file, t.file);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end, filePosition, file);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " bytes [" + begin + ", " + end + ") in " + file;
    }
}
