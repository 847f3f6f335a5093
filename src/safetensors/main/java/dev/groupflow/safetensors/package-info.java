/**
 * Pure-Java reading and writing of Hugging Face safetensors checkpoints (single-file and sharded), with no DJL
 * types: {@link dev.groupflow.safetensors.SafetensorsCheckpoint} opens a model directory,
 * {@link dev.groupflow.safetensors.SafetensorsFile} one file,
 * {@link dev.groupflow.safetensors.SafetensorsWriter} writes checkpoints. Every malformed input fails with a
 * {@link dev.groupflow.safetensors.SafetensorsException} naming the file and tensor.
 */
package dev.groupflow.safetensors;
