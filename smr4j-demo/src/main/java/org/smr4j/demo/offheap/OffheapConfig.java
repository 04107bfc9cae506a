package org.smr4j.demo.offheap;

import java.util.List;
import java.util.Objects;

/**
 * What the {@code offheap} scenario runs.
 *
 * @param strategies the strategies, in run order, each at most once
 * @param sessions native blocks in the cache, one per session ({@code --connections})
 * @param readers reader threads ({@code --threads})
 * @param seconds measured seconds per strategy
 * @param warmup unmeasured seconds per strategy with the readers and the writer running, before
 *        the measured time (for the JIT)
 * @param seed the seed of the session ids and of the readers' and writer's random choices
 */
public record OffheapConfig(List<OffheapStrategy> strategies, int sessions, int readers, double seconds,
        double warmup, long seed) {

    /** Unmeasured seconds the bystander runs alone before its first window (for the JIT). */
    public static final double BYSTANDER_WARMUP_SECONDS = 0.2;
    /** Iterations of the bystander's loop per batch (one mark, one wall-time sample each). */
    public static final int BYSTANDER_BATCH = 4096;
    /** How often the sampler reads the native bytes, ms. */
    public static final int SAMPLE_MILLIS = 50;

    /** Checks the ranges and copies the list. */
    public OffheapConfig {
        strategies = List.copyOf(Objects.requireNonNull(strategies, "strategies"));
        if (strategies.isEmpty() || strategies.stream().distinct().count() != strategies.size()) {
            throw new IllegalArgumentException("strategies must be one or more, each at most once: " + strategies);
        }
        if (sessions < 1 || sessions > 1_000_000) {
            throw new IllegalArgumentException("sessions must be 1 to 1,000,000, was " + sessions);
        }
        if (readers < 1 || readers > 64) {
            throw new IllegalArgumentException("readers must be 1 to 64, was " + readers);
        }
        if (!(seconds >= 0.1 && seconds <= 3600)) {
            throw new IllegalArgumentException("seconds must be 0.1 to 3600, was " + seconds);
        }
        if (!(warmup >= 0 && warmup <= 600)) {
            throw new IllegalArgumentException("warmup must be 0 to 600, was " + warmup);
        }
    }

    /** @return the length of each of the bystander's two windows alone: a third of the measured time, 0.2 to 1 s */
    public double aloneSeconds() {
        return Math.max(0.2, Math.min(1.0, seconds / 3));
    }

    /**
     * @param s one of the strategies
     * @return this configuration with only {@code s} (what a fork gets)
     */
    public OffheapConfig only(final OffheapStrategy s) {
        return new OffheapConfig(List.of(s), sessions, readers, seconds, warmup, seed);
    }

    /** @return the planned seconds of one strategy, fill and JVM start not included */
    public double plannedSeconds() {
        return BYSTANDER_WARMUP_SECONDS + 2 * aloneSeconds() + warmup + seconds;
    }
}
