package dev.groupflow.model.tokenizer;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Token ids written as text: {@code "12 7 301"} encodes to {@code [12, 7, 301]} and decodes back. For models
 * without a tokenizer (test checkpoints, benchmarks); it has no end-of-sequence id unless given one.
 */
public final class IdTokenizer implements TextTokenizer {
    private final int vocab;
    private final Set<Integer> eos;

    public IdTokenizer(int vocab) {
        this(vocab, Set.of());
    }

    public IdTokenizer(int vocab, Set<Integer> eos) {
        this.vocab = vocab;
        this.eos = Set.copyOf(eos);
    }

    @Override
    public int[] encode(String text) {
        if (text.isBlank()) {
            return new int[0];
        }
        int[] ids = Arrays.stream(text.trim().split("[\\s,]+")).mapToInt(s -> {
            try {
                return Integer.parseInt(s);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + s + "' is not a token id");
            }
        }).toArray();
        for (int id : ids) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        return ids;
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        return Arrays.stream(ids).filter(id -> !(skipSpecialTokens && eos.contains(id)))
                .mapToObj(Integer::toString).collect(Collectors.joining(" "));
    }

    @Override
    public int vocabSize() {
        return vocab;
    }

    @Override
    public Set<Integer> eosIds() {
        return eos;
    }

    @Override
    public int padId() {
        return 0;
    }

    @Override
    public int tokenId(String token) {
        try {
            int id = Integer.parseInt(token.trim());
            return id >= 0 && id < vocab ? id : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public Set<Integer> specialIds() {
        return eos;
    }
}
