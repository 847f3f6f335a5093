package dev.groupflow.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ModelConfig parse(String json) throws Exception {
        return ModelConfig.parse(JSON.readTree(json), Path.of("config.json"));
    }

    private static final String QWEN3 = """
            {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "vocab_size": 384, "hidden_size": 64,
             "intermediate_size": 160, "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 2,
             "head_dim": 24, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "tie_word_embeddings": false,
             "attention_bias": false, "max_position_embeddings": 256, "hidden_act": "silu", "bos_token_id": 1,
             "eos_token_id": 2, "torch_dtype": "float32"}""";

    @Test
    void qwen3ConfigHasExplicitHeadDimAndQkNorm() throws Exception {
        ModelConfig c = parse(QWEN3);
        assertEquals("qwen3", c.modelType());
        assertEquals(24, c.headDim());
        assertEquals(2, c.queryHeadsPerKvHead());
        assertTrue(c.qkNorm());
        assertFalse(c.qkvBias());
        assertEquals(List.of(2), c.eosTokenIds());
        assertEquals(1_000_000.0, c.ropeTheta());
    }

    @Test
    void qwen2HasQkvBiasesButNoOutputBias() throws Exception {
        ModelConfig c = parse("""
                {"model_type": "qwen2", "vocab_size": 320, "hidden_size": 48, "intermediate_size": 96,
                 "num_hidden_layers": 2, "num_attention_heads": 6, "num_key_value_heads": 2,
                 "tie_word_embeddings": true, "eos_token_id": [151645, 151643]}""");
        assertTrue(c.qkvBias());
        assertFalse(c.oBias());
        assertFalse(c.qkNorm());
        assertTrue(c.tieWordEmbeddings());
        assertEquals(8, c.headDim());
        assertEquals(List.of(151645, 151643), c.eosTokenIds());
    }

    @Test
    void llamaDefaultsToMultiHeadAttentionWithoutBiases() throws Exception {
        ModelConfig c = parse("""
                {"model_type": "llama", "vocab_size": 300, "hidden_size": 32, "intermediate_size": 88,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "rms_norm_eps": 1e-5}""");
        assertEquals(4, c.numKvHeads());
        assertEquals(8, c.headDim());
        assertFalse(c.qkvBias() || c.oBias() || c.mlpBias() || c.tieWordEmbeddings());
        assertNull(c.ropeScaling());
        assertEquals(2048, c.maxPositionEmbeddings());
    }

    @Test
    void llamaAttentionBiasCoversAllFourProjections() throws Exception {
        ModelConfig c = parse("""
                {"model_type": "llama", "vocab_size": 300, "hidden_size": 32, "intermediate_size": 88,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "attention_bias": true, "mlp_bias": true}""");
        assertTrue(c.qkvBias() && c.oBias() && c.mlpBias());
    }

    @Test
    void everyProblemIsReportedAtOnceNamingItsField() {
        ModelException e = assertThrows(ModelException.class, () -> parse("""
                {"model_type": "gpt2", "vocab_size": -3, "intermediate_size": 10, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "num_key_value_heads": 3, "hidden_act": "gelu",
                 "rope_scaling": {"rope_type": "yarn", "factor": 4.0}}"""));
        List<String> p = e.problems();
        assertTrue(p.stream().anyMatch(s -> s.startsWith("model_type: 'gpt2' is not supported")), p::toString);
        assertTrue(p.stream().anyMatch(s -> s.startsWith("vocab_size:")), p::toString);
        assertTrue(p.stream().anyMatch(s -> s.startsWith("hidden_size: missing")), p::toString);
        assertTrue(p.stream().anyMatch(s -> s.contains("num_key_value_heads: 3 does not divide")), p::toString);
        assertTrue(p.stream().anyMatch(s -> s.startsWith("hidden_act: 'gelu'")), p::toString);
        assertTrue(p.stream().anyMatch(s -> s.contains("rope_scaling: type 'yarn' is not supported")), p::toString);
        assertTrue(e.getMessage().startsWith("config.json: " + p.size() + " problems:"), e.getMessage());
    }

    @Test
    void unsupportedArchitectureIsNamed() {
        ModelException e = assertThrows(ModelException.class, () -> parse(QWEN3.replace(
                "Qwen3ForCausalLM", "Qwen3MoeForCausalLM")));
        assertTrue(e.getMessage().contains("architectures: 'Qwen3MoeForCausalLM' is not supported"), e.getMessage());
    }

    @Test
    void slidingWindowAttentionIsRefused() {
        ModelException e = assertThrows(ModelException.class, () -> parse(QWEN3.replace(
                "\"hidden_act\"", "\"use_sliding_window\": true, \"sliding_window\": 64, \"hidden_act\"")));
        assertTrue(e.getMessage().contains("sliding-window"), e.getMessage());
    }

    @Test
    void llama3RopeScalingKeepsHighFrequenciesAndDividesLowOnes() throws Exception {
        ModelConfig plain = parse(QWEN3.replace("\"head_dim\": 24", "\"head_dim\": 64"));
        ModelConfig scaled = parse(QWEN3.replace("\"head_dim\": 24", "\"head_dim\": 64").replace("\"hidden_act\"",
                "\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, "
                        + "\"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 64}, \"hidden_act\""));
        float[] a = Rope.inverseFrequencies(plain);
        float[] b = Rope.inverseFrequencies(scaled);
        assertEquals(a[0], b[0]);                          // wavelength 2π < 64/4: unchanged
        assertEquals(a[a.length - 1] / 8f, b[b.length - 1], 1e-12); // longest wavelength: divided by the factor
        boolean ramp = false;
        for (int i = 0; i < a.length; i++) {
            assertTrue(b[i] <= a[i] && b[i] >= a[i] / 8f * 0.999f);
            ramp |= b[i] < a[i] && b[i] > a[i] / 8f * 1.001f;
        }
        assertTrue(ramp, "some frequency lies on the smooth ramp between the bands");
    }

    @Test
    void hfJsonRoundTripsThroughTheParser(@TempDir Path dir) throws Exception {
        ModelConfig c = parse(QWEN3);
        Path file = dir.resolve("config.json");
        Files.writeString(file, JSON.writeValueAsString(c.toHfJson()));
        JsonNode written = JSON.readTree(file.toFile());
        assertEquals("Qwen3ForCausalLM", written.get("architectures").get(0).asText());
        assertEquals(c, ModelConfig.load(file));
    }

    @Test
    void unreadableConfigNamesTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, "{\"model_type\": ");
        ModelException e = assertThrows(ModelException.class, () -> ModelConfig.load(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    }
}
