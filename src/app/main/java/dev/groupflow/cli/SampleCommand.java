package dev.groupflow.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.groupflow.model.Devices;
import dev.groupflow.sampling.Completion;
import dev.groupflow.sampling.Policy;
import dev.groupflow.sampling.Sampler;
import dev.groupflow.sampling.SamplingParams;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code groupflow sample}: completions of one prompt from a checkpoint directory. */
@Command(name = "sample", description = "Sample completions of a prompt from a model directory.")
final class SampleCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", required = true, description = "checkpoint directory (config.json, weights, tokenizer)")
    Path model;

    @Option(names = "--prompt", required = true, description = "prompt text")
    String prompt;

    @Option(names = "--chat", description = "render the prompt as a user message with the model's chat template")
    boolean chat;

    @Option(names = "--system", description = "system message (with --chat)")
    String system;

    @Option(names = "--no-thinking", description = "pass enable_thinking=false to the chat template")
    boolean noThinking;

    @Option(names = {"-n", "--samples"}, defaultValue = "1", description = "completions to draw (default: ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--temperature", defaultValue = "1.0", description = "0 = greedy (default: ${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "0 = off (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", description = "1 = off (default: ${DEFAULT-VALUE})")
    double topP;

    @Option(names = "--min-p", defaultValue = "0.0", description = "0 = off (default: ${DEFAULT-VALUE})")
    double minP;

    @Option(names = "--max-new-tokens", defaultValue = "128", description = "(default: ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(names = "--stop", description = "stop string (repeatable)")
    List<String> stop = new ArrayList<>();

    @Option(names = "--seed", defaultValue = "0", description = "(default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--device", defaultValue = "auto", description = "auto | cpu | gpu:N (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--json", description = "one JSON line per completion (tokens, log-probabilities, finish reason)")
    boolean json;

    @Override
    public Integer call() throws Exception {
        SamplingParams params = new SamplingParams(temperature, topK, topP, minP, maxNewTokens, stop);
        try (Policy policy = Policy.load(model, Devices.resolve(device))) {
            String text = prompt;
            if (chat) {
                List<Map<String, Object>> messages = new ArrayList<>();
                if (system != null) {
                    messages.add(Map.of("role", "system", "content", system));
                }
                messages.add(Map.of("role", "user", "content", prompt));
                Map<String, Object> vars = new HashMap<>();
                if (noThinking) {
                    vars.put("enable_thinking", false);
                }
                text = policy.tokenizer().applyChatTemplate(messages, true, vars);
            }
            int[] ids = policy.tokenizer().encode(text);
            Sampler sampler = new Sampler(policy.model(), policy.tokenizer());
            long t0 = System.nanoTime();
            List<Completion> out = sampler.generate(List.of(new Sampler.Request(0, ids, samples)), params, seed, 0)
                    .get(0);
            double seconds = (System.nanoTime() - t0) / 1e9;
            int tokens = 0;
            for (Completion c : out) {
                tokens += c.tokens().length;
                if (json) {
                    ObjectNode n = JSON.createObjectNode();
                    n.put("sample", c.sampleIndex());
                    n.put("text", c.text());
                    n.put("finish_reason", c.finishReason().name().toLowerCase(Locale.ROOT));
                    n.put("stop", c.stopString());
                    n.set("tokens", JSON.valueToTree(c.tokens()));
                    n.set("logprobs", JSON.valueToTree(c.logprobs()));
                    System.out.println(JSON.writeValueAsString(n));
                } else {
                    double sum = 0;
                    for (float lp : c.logprobs()) {
                        sum += lp;
                    }
                    System.out.printf("--- sample %d (%s, %d tokens, log-prob %.3f)%n%s%n", c.sampleIndex(),
                            c.finishReason().name().toLowerCase(Locale.ROOT), c.tokens().length, sum, c.text());
                }
            }
            if (!json) {
                System.out.printf("--- prompt %d tokens; %d new tokens in %.2f s (%.1f tokens/s)%n", ids.length, tokens,
                        seconds, tokens / seconds);
            }
        }
        return 0;
    }
}
