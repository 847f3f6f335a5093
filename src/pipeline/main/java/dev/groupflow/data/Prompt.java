package dev.groupflow.data;

import java.util.List;
import java.util.Map;

/**
 * One prompt of a dataset or task.
 *
 * @param id the row's id ("file.jsonl:12" or the row's own "id"; "task:copy:123" for generated prompts)
 * @param text the prompt text (null when the row gives {@code messages})
 * @param messages chat messages (role, content), or null when the row gives {@code prompt}
 * @param answer the reference answer for the verifier, or null
 * @param metadata free-form data for the verifier (never null)
 */
public record Prompt(String id, String text, List<Map<String, String>> messages, String answer,
                     Map<String, Object> metadata) {

    public Prompt {
        metadata = metadata == null ? Map.of() : metadata;
        if ((text == null) == (messages == null)) {
            throw new IllegalArgumentException("prompt " + id + ": exactly one of text and messages");
        }
    }

    /** A plain-text prompt. */
    public static Prompt text(String id, String text, String answer) {
        return new Prompt(id, text, null, answer, Map.of());
    }

    /** The prompt as the verifier sees it: the text, or the last user message. */
    public String displayText() {
        if (text != null) {
            return text;
        }
        for (int i = messages.size() - 1; i >= 0; i--) {
            if ("user".equals(messages.get(i).get("role"))) {
                return messages.get(i).get("content");
            }
        }
        return messages.get(messages.size() - 1).get("content");
    }
}
