package dev.groupflow.sampling;

/**
 * Counter-based randomness for sampling: the uniform number that picks token t of completion i of prompt p at
 * training step s is a pure function of (seed, s, p, i, t). Nothing is carried between calls, so a resumed run
 * draws exactly the numbers an uninterrupted one would, and how completions are batched cannot change which
 * number a completion gets. The mixing function is SplitMix64's finaliser, applied once per coordinate.
 */
public final class SampleRng {
    private SampleRng() {
    }

    /** A uniform double in the open interval (0, 1) for the given coordinates. */
    public static double uniform(long seed, long step, long prompt, long sample, long position) {
        long h = mix(seed ^ 0x9E3779B97F4A7C15L);
        h = mix(h + step);
        h = mix(h + prompt);
        h = mix(h + sample);
        h = mix(h + position);
        return ((h >>> 11) + 0.5) * 0x1.0p-53;
    }

    /** SplitMix64's 64-bit finaliser: a bijection with good avalanche. */
    static long mix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
