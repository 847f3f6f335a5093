package dev.groupflow.model.template;
// TEMPORARY STUB until the template branch is merged (not committed)
public final class ChatTemplate {
    public String render(java.util.List<java.util.Map<String, Object>> m, boolean g, java.util.Map<String, Object> v) { throw new UnsupportedOperationException(); }
    public static ChatTemplate fromTokenizerConfig(java.nio.file.Path p) { return new ChatTemplate(); }
}
