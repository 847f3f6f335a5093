/**
 * Pure-Java reading and writing of Hugging Face safetensors checkpoints (single-file and sharded), with no DJL
 * types: {@link dev.groupflow.model.safetensors.SafetensorsCheckpoint} opens a model directory,
 * {@link dev.groupflow.model.safetensors.SafetensorsFile} one file,
 * {@link dev.groupflow.model.safetensors.SafetensorsWriter} writes checkpoints. Every malformed input fails with a
 * {@link dev.groupflow.model.safetensors.SafetensorsException} naming the file and tensor.
 */
package dev.groupflow.model.safetensors;
