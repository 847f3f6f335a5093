package dev.groupflow.model.tokenizer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A character-level tokenizer over a fixed alphabet, for the built-in tasks and tiny policies. Ids 0, 1, 2 are
 * {@code <pad>}, {@code <eos>} and {@code <bos>}; the alphabet's characters follow in order. Encoding a
 * character outside the alphabet is an error naming it (never a silent substitution).
 */
public final class CharTokenizer implements TextTokenizer {
    public static final int PAD = 0;
    public static final int EOS = 1;
    public static final int BOS = 2;
    private static final String[] SPECIAL = {"<pad>", "<eos>", "<bos>"};

    private final String alphabet;
    private final Map<Integer, Integer> idOfCodePoint = new HashMap<>();
    private final int[] codePointOfId;

    public CharTokenizer(String alphabet) {
        this.alphabet = alphabet;
        int[] cps = alphabet.codePoints().toArray();
        this.codePointOfId = new int[SPECIAL.length + cps.length];
        for (int i = 0; i < cps.length; i++) {
            if (idOfCodePoint.putIfAbsent(cps[i], SPECIAL.length + i) != null) {
                throw new IllegalArgumentException("alphabet repeats the character '"
                        + new String(Character.toChars(cps[i])) + "'");
            }
            codePointOfId[SPECIAL.length + i] = cps[i];
        }
    }

    public String alphabet() {
        return alphabet;
    }

    @Override
    public int[] encode(String text) {
        int[] out = new int[text.length()];
        int n = 0;
        int offset = 0;
        while (offset < text.length()) {
            int special = specialAt(text, offset);
            if (special >= 0) {
                out[n++] = special;
                offset += SPECIAL[special].length();
                continue;
            }
            int cp = text.codePointAt(offset);
            Integer id = idOfCodePoint.get(cp);
            if (id == null) {
                throw new IllegalArgumentException("character '" + new String(Character.toChars(cp))
                        + "' (U+" + Integer.toHexString(cp).toUpperCase(Locale.ROOT)
                        + ") at offset " + offset + " is not in the tokenizer's alphabet \"" + alphabet + "\"");
            }
            out[n++] = id;
            offset += Character.charCount(cp);
        }
        return Arrays.copyOf(out, n);
    }

    private static int specialAt(String text, int offset) {
        for (int s = 0; s < SPECIAL.length; s++) {
            if (text.startsWith(SPECIAL[s], offset)) {
                return s;
            }
        }
        return -1;
    }

    /** Decodes ids; an id outside the vocabulary (a model head wider than the alphabet) becomes U+FFFD. */
    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            if (id < 0 || id >= codePointOfId.length) {
                sb.append('\uFFFD');
            } else if (id < SPECIAL.length) {
                if (!skipSpecialTokens) {
                    sb.append(SPECIAL[id]);
                }
            } else {
                sb.appendCodePoint(codePointOfId[id]);
            }
        }
        return sb.toString();
    }

    @Override
    public int vocabSize() {
        return codePointOfId.length;
    }

    @Override
    public Set<Integer> eosIds() {
        return Set.of(EOS);
    }

    @Override
    public int padId() {
        return PAD;
    }

    @Override
    public int tokenId(String token) {
        for (int s = 0; s < SPECIAL.length; s++) {
            if (SPECIAL[s].equals(token)) {
                return s;
            }
        }
        if (token.codePointCount(0, token.length()) == 1) {
            return idOfCodePoint.getOrDefault(token.codePointAt(0), -1);
        }
        return -1;
    }

    /** Padding and the beginning marker are never valid output. */
    @Override
    public Set<Integer> neverGenerated() {
        return Set.of(PAD, BOS);
    }

    @Override
    public Set<Integer> specialIds() {
        return new LinkedHashSet<>(List.of(PAD, EOS, BOS));
    }
}
