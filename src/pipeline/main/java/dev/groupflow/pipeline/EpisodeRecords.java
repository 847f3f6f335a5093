package dev.groupflow.pipeline;

import dev.groupflow.agent.Episode;
import dev.groupflow.agent.Step;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An episode as the run files write it ({@code completions.jsonl} for trained episodes, {@code eval_episodes.jsonl}
 * for held-out ones): turn by turn, with the action, its tool calls and their errors, the environment's answer, the
 * step reward, the state key and (when trained) the turn's advantage.
 */
public final class EpisodeRecords {
    private EpisodeRecords() {
    }

    /**
     * The episode's turns.
     *
     * @param advantages per turn row of the batch the episode trained in, or null (not trained: no advantage)
     * @param firstRow the row of the episode's first turn in {@code advantages}
     */
    public static List<Map<String, Object>> turns(Episode e, double[] advantages, int firstRow) {
        List<Map<String, Object>> out = new ArrayList<>(e.steps().size());
        for (Step s : e.steps()) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("turn", s.turn());
            t.put("action", s.action().text());
            if (!s.action().toolCalls().isEmpty()) {
                t.put("tool_calls", s.action().toolCalls());
            }
            if (!s.action().toolCallErrors().isEmpty()) {
                t.put("tool_call_errors", s.action().toolCallErrors());
            }
            t.put("observation", s.observation());
            t.put("reward", s.reward());
            t.put("state_key", s.stateKey());
            if (advantages != null) {
                int row = firstRow + s.turn();
                t.put("advantage", row < advantages.length ? advantages[row] : null);
            }
            out.add(t);
        }
        return out;
    }
}
