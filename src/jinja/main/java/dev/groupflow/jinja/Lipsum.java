package dev.groupflow.jinja;

import java.util.Random;

/**
 * Jinja2's {@code lipsum(n=5, html=True, min=20, max=100)} global: {@code n} paragraphs of lorem
 * ipsum, each of {@code randrange(min, max)} words with commas and full stops placed at random,
 * as {@code <p>} elements joined by newlines (an HTML-safe string) or as plain text joined by
 * blank lines. The algorithm and word list are Jinja2's ({@code utils.generate_lorem_ipsum}), so
 * the shape matches, quirks included (a word may end in {@code ",."}); the words themselves come
 * from the caller's random source, not from Python's unseeded {@code random}, so the text differs
 * from Python's (which differs between Python runs too).
 */
final class Lipsum {
    private Lipsum() {}

    private static final String[] WORDS = ("a ac accumsan ad adipiscing aenean aliquam aliquet amet"
            + " ante aptent arcu at auctor augue bibendum blandit class commodo condimentum congue"
            + " consectetuer consequat conubia convallis cras cubilia cum curabitur curae cursus dapibus"
            + " diam dictum dictumst dignissim dis dolor donec dui duis egestas eget eleifend elementum"
            + " elit enim erat eros est et etiam eu euismod facilisi facilisis fames faucibus felis"
            + " fermentum feugiat fringilla fusce gravida habitant habitasse hac hendrerit hymenaeos"
            + " iaculis id imperdiet in inceptos integer interdum ipsum justo lacinia lacus laoreet"
            + " lectus leo libero ligula litora lobortis lorem luctus maecenas magna magnis malesuada"
            + " massa mattis mauris metus mi molestie mollis montes morbi mus nam nascetur natoque nec"
            + " neque netus nibh nisi nisl non nonummy nostra nulla nullam nunc odio orci ornare"
            + " parturient pede pellentesque penatibus per pharetra phasellus placerat platea porta"
            + " porttitor posuere potenti praesent pretium primis proin pulvinar purus quam quis quisque"
            + " rhoncus ridiculus risus rutrum sagittis sapien scelerisque sed sem semper senectus sit"
            + " sociis sociosqu sodales sollicitudin suscipit suspendisse taciti tellus tempor tempus"
            + " tincidunt torquent tortor tristique turpis ullamcorper ultrices ultricies urna ut varius"
            + " vehicula vel velit venenatis vestibulum vitae vivamus viverra volutpat vulputate")
            .split(" ");

    /**
     * Renders {@code n} paragraphs; a {@link Markup} when {@code html}, else a plain string. Like
     * every string the engine builds, the result is capped at {@link Interpreter#MAX_STRING}: a
     * request that must exceed it (every word takes at least two characters) is refused up front.
     */
    static Object generate(Random random, long n, boolean html, long min, long max) {
        Interpreter.checkSize(2.0 * Math.max(n, 0) * Math.max(min, 1), null);
        StringBuilder out = new StringBuilder();
        for (long i = 0; i < n; i++) {
            if (i > 0) {
                out.append(html ? "\n" : "\n\n");
            }
            // The words and punctuation need no HTML escaping.
            out.append(html ? "<p>" : "");
            paragraph(random, min, max, out);
            out.append(html ? "</p>" : "");
        }
        return html ? new Markup(out.toString()) : out.toString();
    }

    /** Appends one paragraph of {@code randrange(min, max)} words to {@code out}. */
    private static void paragraph(Random random, long min, long max, StringBuilder out) {
        boolean nextCapitalized = true;
        long lastComma = 0;
        long lastFullstop = 0;
        String last = null;
        long count = randrange(random, min, max);
        for (long idx = 0; idx < count; idx++) {
            String word;
            do {
                word = WORDS[random.nextInt(WORDS.length)];
            } while (word.equals(last));
            last = word;
            if (nextCapitalized) {
                word = Character.toUpperCase(word.charAt(0)) + word.substring(1);
                nextCapitalized = false;
            }
            if (idx - randrange(random, 3, 8) > lastComma) {
                lastComma = idx;
                lastFullstop += 2;
                word += ",";
            }
            if (idx - randrange(random, 10, 20) > lastFullstop) {
                lastComma = idx;
                lastFullstop = idx;
                word += ".";
                nextCapitalized = true;
            }
            out.append(idx > 0 ? " " : "").append(word);
            Interpreter.checkSize(out.length(), null);
        }
        // Ensure that the paragraph ends with a full stop.
        int end = out.length() - 1;
        if (count > 0 && out.charAt(end) == ',') {
            out.setCharAt(end, '.');
        } else if (count == 0 || out.charAt(end) != '.') {
            out.append('.');
        }
    }

    /** Python's {@code random.randrange(start, stop)}: uniform in {@code [start, stop)}. */
    private static long randrange(Random random, long start, long stop) {
        long width = stop - start;
        if (width <= 0) {
            throw new TemplateException("ValueError: empty range for randrange() (" + start + ", " + stop
                    + ", " + width + ")");
        }
        return start + random.nextLong(width);
    }
}
