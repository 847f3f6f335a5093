package dev.groupflow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.groupflow.config.Settings;
import dev.groupflow.verify.Outcome;
import dev.groupflow.verify.Verifier;
import dev.groupflow.verify.VerifierCalls;
import dev.groupflow.verify.VerifyRequest;
import dev.groupflow.verify.registry.Verifiers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code groupflow verify}: scores one case with a configured verifier, through the same calls as training
 * (timeout, retries, outcome mapping), and prints one JSON line: status, reward, components, details, attempts.
 * Exit status 0 when scored, 1 when failed or timed out, 2 for a bad case or configuration.
 */
@Command(name = "verify", description = "Score one case ({prompt, completion, answer?, metadata?}) with a verifier "
        + "and print one JSON line.")
final class VerifyCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--verifier", description = "verifier name (verifier.name), e.g. math, format, weighted")
    String verifier;

    @Option(names = "--input", required = true, description = "JSON file of the case; - reads standard input")
    String input;

    @Mixin
    ConfigOptions config;

    @Override
    public Integer call() throws Exception {
        // only the verifier's keys matter here, so the rest of a run's configuration is not checked
        Config section = Settings.load(config.file, config.overrides("verifier.name", verifier)).getConfig("verifier");
        VerifyRequest request = readCase();
        ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1, r -> {
            Thread t = new Thread(r, "groupflow-verify-timer");
            t.setDaemon(true);
            return t;
        });
        try {
            Verifier v = Verifiers.builtIn().create(section, scheduler);
            try {
                VerifierCalls calls;
                try {
                    calls = new VerifierCalls(v, section.getDuration("timeout"), section.getInt("retries"),
                            section.getDuration("retry-backoff"), scheduler);
                } catch (ConfigException e) {
                    System.err.println("groupflow: " + e.getMessage());
                    return 2;
                }
                Outcome o = calls.call(request).toCompletableFuture().join();
                System.out.println(JSON.writeValueAsString(line(o)));
                return o instanceof Outcome.Scored ? 0 : 1;
            } finally {
                v.close();
            }
        } finally {
            scheduler.shutdownNow();
        }
    }

    private static ObjectNode line(Outcome o) {
        ObjectNode n = JSON.createObjectNode();
        n.put("status", o.statusName());
        if (o instanceof Outcome.Scored s) {
            n.put("reward", s.reward());
            n.set("components", JSON.valueToTree(new TreeMap<>(s.components())));
        } else {
            n.putNull("reward");
            n.set("components", JSON.createObjectNode());
        }
        n.put("details", o.detail());
        n.put("attempts", o.attempts());
        n.put("latency_ms", Math.round(o.latencyMillis() * 1000) / 1000.0);
        return n;
    }

    /** The case: {@code {prompt, completion, answer?, metadata?, completion_tokens?}}. */
    @SuppressWarnings("unchecked")
    private VerifyRequest readCase() {
        JsonNode n;
        try {
            byte[] bytes = input.equals("-") ? System.in.readAllBytes() : Files.readAllBytes(Path.of(input));
            n = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new IllegalArgumentException("--input " + input + ": " + e.getMessage());
        }
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("--input " + input + ": expected a JSON object {prompt, completion, "
                    + "answer?, metadata?}");
        }
        JsonNode completion = n.get("completion");
        if (completion == null || !completion.isTextual()) {
            throw new IllegalArgumentException("--input " + input + ": \"completion\" (a string) is required");
        }
        JsonNode answer = n.get("answer");
        JsonNode metadata = n.get("metadata");
        if (metadata != null && !metadata.isNull() && !metadata.isObject()) {
            throw new IllegalArgumentException("--input " + input + ": \"metadata\" must be an object");
        }
        JsonNode tokens = n.get("completion_tokens");
        if (tokens != null && !tokens.isNull() && !tokens.canConvertToInt()) {
            throw new IllegalArgumentException("--input " + input + ": \"completion_tokens\" must be an integer");
        }
        return new VerifyRequest(n.path("prompt").asText(""), completion.asText(),
                answer == null || answer.isNull() ? null : answer.isTextual() ? answer.asText() : answer.toString(),
                metadata == null || metadata.isNull() ? Map.of() : JSON.convertValue(metadata, Map.class),
                tokens == null || tokens.isNull() ? VerifyRequest.UNKNOWN_TOKENS : tokens.asInt());
    }
}
