package dev.groupflow.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.groupflow.config.ConfigProblems;
import dev.groupflow.config.Settings;
import dev.groupflow.grpo.Aggregation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunConfigTest {

    @Test
    void defaultsDescribeTheBuiltInJob() {
        RunConfig c = RunConfig.load(null, List.of());
        assertNull(c.model().path());
        assertNull(c.data().prompts());
        assertEquals("task", c.verifier().name());
        assertEquals(RunConfig.Mode.STREAMING, c.pipeline().mode());
        assertEquals(Aggregation.TOKEN_MEAN, c.grpo().loss().aggregation());
        assertTrue(c.grpo().groupSize() >= 2);
        assertEquals(3, c.checkpoint().maxConsecutiveFailures());
    }

    @Test
    void checkpointFailuresInARowMustAllowAtLeastOne() {
        ConfigProblems e = assertThrows(ConfigProblems.class, () -> RunConfig.load(null, List.of(
                "checkpoint.max-consecutive-failures=0", "checkpoint.keep=0")));
        assertTrue(e.problems().stream().anyMatch(s -> s.startsWith("checkpoint.max-consecutive-failures: must be >= 1")),
                e.problems()::toString);
        assertTrue(e.problems().stream().anyMatch(s -> s.startsWith("checkpoint.keep: must be >= 1")),
                e.problems()::toString);
        assertEquals(5, RunConfig.load(null, List.of("checkpoint.max-consecutive-failures=5")).checkpoint()
                .maxConsecutiveFailures());
    }

    /** A sampler chunk larger than a whole batch samples the batch at once (not a divisibility error). */
    @Test
    void aSamplerChunkLargerThanTheBatchIsTheBatch() {
        RunConfig c = RunConfig.load(null, List.of("train.batch-groups=2", "pipeline.sampler-batch-prompts=8"));
        assertEquals(2, c.pipeline().samplerBatchPrompts());
    }

    /** LoRA and memory settings are read and checked with everything else, all problems together. */
    @Test
    void loraAndMemorySettingsAreCheckedWithTheRest(@TempDir Path tmp) throws Exception {
        Path model = Files.createDirectories(tmp.resolve("m"));
        Files.writeString(model.resolve("config.json"), "{}");
        RunConfig ok = RunConfig.load(null, List.of("model.path=" + model, "lora.rank=16", "lora.targets=[q_proj,v_proj]",
                "memory.budget=16G", "memory.logits-chunk=32M", "memory.recompute=on"));
        assertEquals(16, ok.lora().rank());
        assertEquals(List.of("q_proj", "v_proj"), ok.lora().targets());
        assertEquals(2.0, ok.lora().scaling());
        assertEquals(16L << 30, ok.memory().budget());
        assertEquals(32L << 20, ok.memory().logitsChunk());
        assertEquals(7, RunConfig.load(null, List.of("model.path=" + model, "lora.rank=4")).lora().targets().size(),
                "all-linear: every projection of attention and MLP");
        ConfigProblems e = assertThrows(ConfigProblems.class, () -> RunConfig.load(null, List.of("lora.rank=8",
                "lora.targets=[q_proj,wq]", "lora.dropout=1.5", "lora.sampler=fused", "memory.budget=lots",
                "grpo.ref-sync-every=5")));
        List<String> p = e.problems();
        assertTrue(p.stream().anyMatch(s -> s.startsWith("lora.targets: 'wq' is not one of")), p::toString);
        assertTrue(p.stream().anyMatch(s -> s.startsWith("lora.dropout: must be in [0, 1)")), p::toString);
        assertTrue(p.stream().anyMatch(s -> s.startsWith("lora.sampler: 'fused'")), p::toString);
        assertTrue(p.stream().anyMatch(s -> s.startsWith("memory:") && s.contains("memory.budget")), p::toString);
        ConfigProblems builtin = assertThrows(ConfigProblems.class, () -> RunConfig.load(null, List.of("lora.rank=8",
                "grpo.ref-sync-every=5")));
        assertTrue(builtin.problems().stream().anyMatch(s -> s.startsWith("lora.rank: adapters need a pretrained")),
                builtin.problems()::toString);
        assertTrue(builtin.problems().stream().anyMatch(s -> s.startsWith("grpo.ref-sync-every: cannot move")),
                builtin.problems()::toString);
    }

    @Test
    void overridesApplyFileThenSet(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("run.conf");
        Files.writeString(file, "grpo { group-size = 4 }\ntrain.steps = 7\n");
        RunConfig c = RunConfig.load(file, List.of("train.steps=9", "pipeline.mode=lockstep",
                "grpo.aggregation=seq_sum_norm"));
        assertEquals(4, c.grpo().groupSize());
        assertEquals(9, c.train().steps());
        assertEquals(RunConfig.Mode.LOCKSTEP, c.pipeline().mode());
        assertEquals(Aggregation.SEQ_SUM_NORM, c.grpo().loss().aggregation());
    }

    @Test
    void allProblemsAreReportedTogetherWithTheirOrigin(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("bad.conf");
        Files.writeString(file, "train {\n  steps = 10\n  batch-grups = 3\n}\n");
        ConfigProblems e = assertThrows(ConfigProblems.class, () -> RunConfig.load(file, List.of(
                "grpo.group-sise=4", "grpo.group-size=1")));
        List<String> p = e.problems();
        // unknown keys are reported first, each with where it came from and a suggestion
        assertTrue(p.stream().anyMatch(s -> s.contains("unknown key 'train.batch-grups'") && s.contains("bad.conf: line 3")
                && s.contains("did you mean 'train.batch-groups'")), p::toString);
        assertTrue(p.stream().anyMatch(s -> s.contains("unknown key 'grpo.group-sise'")
                && s.contains("--set grpo.group-sise=4")), p::toString);
        // ...together with the problems of known keys
        assertTrue(p.stream().anyMatch(s -> s.startsWith("grpo.group-size: must be >= 2")), p::toString);
        ConfigProblems values = assertThrows(ConfigProblems.class, () -> RunConfig.load(null, List.of(
                "grpo.group-size=1", "train.batch-groups=12", "pipeline.sampler-batch-prompts=8",
                "data.prompts=/no/such/file.jsonl", "verifier.name=exact", "optim.lr=-1", "pipeline.mode=async",
                "model.device=tpu")));
        List<String> v = values.problems();
        assertTrue(v.stream().anyMatch(s -> s.startsWith("grpo.group-size: must be >= 2")), v::toString);
        assertTrue(v.stream().anyMatch(s -> s.contains("12 is not divisible by pipeline.sampler-batch-prompts 8")),
                v::toString);
        assertTrue(v.stream().anyMatch(s -> s.startsWith("data.prompts: no such file: /no/such/file.jsonl")
                && s.contains("--set data.prompts=")), v::toString);
        assertTrue(v.stream().anyMatch(s -> s.startsWith("optim.lr: must be > 0")), v::toString);
        assertTrue(v.stream().anyMatch(s -> s.startsWith("pipeline.mode: 'async' is not one of")), v::toString);
        assertTrue(v.stream().anyMatch(s -> s.startsWith("model.device: 'tpu'")), v::toString);
        assertTrue(v.size() >= 6, v::toString);
    }

    @Test
    void setValuesMayBePathsWithoutQuotes(@TempDir Path tmp) throws Exception {
        Path prompts = tmp.resolve("p.jsonl");
        Files.writeString(prompts, "{\"prompt\": \"hi\", \"answer\": \"x\"}\n");
        RunConfig c = RunConfig.load(null, List.of("data.prompts=" + prompts, "verifier.name=exact"));
        assertEquals(prompts, c.data().prompts());
    }

    @Test
    void builtInTaskVerifierAndFileRowsDoNotMix(@TempDir Path tmp) throws Exception {
        Path prompts = tmp.resolve("p.jsonl");
        Files.writeString(prompts, "{\"prompt\": \"hi\"}\n");
        ConfigProblems e = assertThrows(ConfigProblems.class,
                () -> RunConfig.load(null, List.of("data.prompts=" + prompts)));
        assertTrue(e.getMessage().contains("'task' checks the built-in task"), e.getMessage());
    }

    /** Every key of conf/groupflow.conf has a comment right above it (its documentation). */
    @Test
    void everyDefaultKeyIsCommented() throws Exception {
        Path conf = Path.of(System.getProperty("groupflow.home", "."), "conf", "groupflow.conf");
        List<String> lines = Files.readAllLines(conf);
        Pattern key = Pattern.compile("^\\s*([a-z][a-z0-9-]*)\\s*(=|\\{)");
        int keys = 0;
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = key.matcher(lines.get(i));
            if (!m.find()) {
                continue;
            }
            keys++;
            int j = i - 1;
            boolean documented = j >= 0 && lines.get(j).trim().startsWith("#");
            // keys grouped under one comment: walk up over sibling keys
            while (!documented && j >= 0 && key.matcher(lines.get(j)).find()) {
                j--;
                documented = j >= 0 && lines.get(j).trim().startsWith("#");
            }
            assertTrue(documented, "conf/groupflow.conf line " + (i + 1) + " (" + m.group(1) + ") has no comment");
        }
        assertTrue(keys > 40);
        assertFalse(Settings.defaults().isEmpty());
        Map<String, Object> unwrapped = Settings.defaults().root().unwrapped();
        assertTrue(unwrapped.containsKey("grpo"));
    }

    @Test
    void singleTurnOnlyOptionsAreRefusedForTheAgentTaskAllAtOnce() {
        ConfigProblems e = assertThrows(ConfigProblems.class, () -> RunConfig.load(null, List.of("task.name=guess",
                "agent.estimator=gigpo", "grpo.advantage=ngrpo", "grpo.guidance.count=2",
                "pipeline.filter-all-correct=true")));
        String all = String.join("\n", e.problems());
        for (String key : List.of("grpo.advantage: ngrpo gives episodes NGRPO's advantage of their return: it needs "
                + "agent.estimator = grpo, not gigpo", "grpo.guidance.count: task.name = guess",
                "pipeline.filter-all-correct: task.name = guess")) {
            assertTrue(all.contains(key), key + " in " + all);
        }
        RunConfig.load(null, List.of("task.name=guess")); // the agent task's defaults are valid
        // episode GRPO takes NGRPO's advantages
        RunConfig ngrpo = RunConfig.load(null, List.of("task.name=guess", "grpo.advantage=ngrpo"));
        assertNotNull(ngrpo.agent().advantages(ngrpo.grpo().scale(), ngrpo.grpo().ngrpo()).ngrpo());
    }

    @Test
    void anHttpEnvironmentNeedsItsUrlReportedWithTheOtherProblems() {
        ConfigProblems e = assertThrows(ConfigProblems.class, () -> RunConfig.load(null, List.of("task.name=guess",
                "agent.environment=http", "agent.http.concurrency=0", "agent.retries=-1")));
        String all = String.join("\n", e.problems());
        for (String key : List.of("agent.http.url: set the URL of the environment service",
                "agent.http.concurrency: must be >= 1", "agent.retries: must be >= 0")) {
            assertTrue(all.contains(key), key + " in " + all);
        }
        ConfigProblems ftp = assertThrows(ConfigProblems.class, () -> RunConfig.load(null, List.of("task.name=guess",
                "agent.environment=http", "agent.http.url=ftp://host/env")));
        assertTrue(String.join("\n", ftp.problems()).contains("agent.http.url: 'ftp://host/env' is not an http://"),
                String.join("\n", ftp.problems()));
        ConfigProblems other = assertThrows(ConfigProblems.class, () -> RunConfig.load(null, List.of(
                "task.name=guess", "agent.environment=grpc")));
        assertTrue(String.join("\n", other.problems()).contains("agent.environment: 'grpc' is not one of"),
                String.join("\n", other.problems()));
        RunConfig http = RunConfig.load(null, List.of("task.name=guess", "agent.environment=http",
                "agent.http.url=http://127.0.0.1:9/env/"));
        assertEquals("http://127.0.0.1:9/env/", http.agent().http().url().toString());
        assertEquals(http.agent().timeout(), http.agent().http().transport().timeout());
        assertEquals(0, http.agent().http().transport().retries(), "the environment calls retry, not the transport");
        assertNull(RunConfig.load(null, List.of("task.name=guess")).agent().http(), "builtin by default");
    }

    /** A checkpoint directory as far as the configuration looks: config.json, and a tokenizer config. */
    private static Path checkpoint(Path dir, String tokenizerConfig) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), "{}");
        Files.writeString(dir.resolve("tokenizer_config.json"), tokenizerConfig);
        return dir;
    }

    @Test
    void chatTurnsNeedAModelWithAChatTemplateReportedWithTheOtherProblems(@TempDir Path tmp) throws Exception {
        ConfigProblems builtIn = assertThrows(ConfigProblems.class, () -> RunConfig.load(null, List.of(
                "task.name=guess", "agent.turn-format=chat", "agent.tool-call-format=qwen", "agent.retries=-1")));
        String all = String.join("\n", builtIn.problems());
        for (String expected : List.of("agent.turn-format: chat needs a Hugging Face model with a chat template "
                        + "(model.path): the built-in policy writes plain text",
                "agent.tool-call-format: qwen needs a Hugging Face model (model.path): the built-in policy's "
                        + "alphabet (0123456789?<>=:) cannot write <tool_call> blocks",
                "agent.retries: must be >= 0")) {
            assertTrue(all.contains(expected), expected + " in " + all);
        }
        Path plain = checkpoint(tmp.resolve("no-template"), "{\"eos_token\": \"</s>\"}");
        ConfigProblems noTemplate = assertThrows(ConfigProblems.class, () -> RunConfig.load(null, List.of(
                "task.name=guess", "model.path=" + plain, "agent.turn-format=chat", "agent.tool-call-format=xml")));
        all = String.join("\n", noTemplate.problems());
        for (String expected : List.of("agent.turn-format: chat needs a chat template, but "
                + plain.resolve("tokenizer_config.json") + " has no chat_template: use plain",
                "agent.tool-call-format: 'xml' is not one of")) {
            assertTrue(all.contains(expected), expected + " in " + all);
        }

        RunConfig.AgentSettings defaults = RunConfig.load(null, List.of("task.name=guess")).agent();
        assertEquals(RunConfig.Turns.PLAIN, defaults.turns(), "the built-in policy's turns are plain text");
        assertEquals(RunConfig.ToolCalls.PLAIN, defaults.toolCalls());
        assertEquals(RunConfig.Turns.PLAIN, RunConfig.load(null, List.of("task.name=guess", "model.path=" + plain))
                .agent().turns(), "auto: a model without a chat template has plain turns");
        Path qwen = checkpoint(tmp.resolve("qwen"), "{\"chat_template\": \"{{ '<tool_call>' }}\"}");
        // a chat turn is not the plain game's guess of max-length digits: one token is a turn
        RunConfig.AgentSettings chat = RunConfig.load(null, List.of("task.name=guess", "model.path=" + qwen,
                "agent.max-turn-tokens=1")).agent();
        assertEquals(RunConfig.Turns.CHAT, chat.turns(), "auto: a chat template makes chat turns");
        assertEquals(RunConfig.ToolCalls.QWEN, chat.toolCalls(), "auto: the template writes <tool_call> blocks");
        Path other = checkpoint(tmp.resolve("other"), "{\"chat_template\": \"{{ messages }}\"}");
        assertEquals(RunConfig.ToolCalls.PLAIN, RunConfig.load(null, List.of("task.name=guess", "model.path=" + other))
                .agent().toolCalls(), "auto: a template without <tool_call> blocks");
    }

    @Test
    void anAgentRunTakesItsTasksFromAPromptsFile(@TempDir Path tmp) throws Exception {
        Path tasks = Files.writeString(tmp.resolve("tasks.jsonl"), "{\"prompt\": \"find it\", \"answer\": \"12\"}\n");
        RunConfig c = RunConfig.load(null, List.of("task.name=guess", "data.prompts=" + tasks,
                "eval.prompts=" + tasks));
        assertEquals(tasks, c.data().prompts());
        assertEquals(tasks, c.eval().prompts());
    }
}
