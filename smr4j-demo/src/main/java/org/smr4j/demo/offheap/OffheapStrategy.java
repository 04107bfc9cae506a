package org.smr4j.demo.offheap;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How the {@code offheap} scenario frees a session's native block once the writer has replaced
 * it, while reader threads may still be reading it.
 */
public enum OffheapStrategy {
    /** An {@code SmrArena} over a default-mode {@code Smr}: readers in sections, frees deferred. */
    SMR_DEFAULT("an SmrArena over smr(9) in default mode: readers enter a section (one fenced store), "
            + "the writer frees at once and the arena reuses the block after the grace period"),
    /** The same over a lazy {@code Smr}. */
    SMR_LAZY("an SmrArena over smr lazy: readers enter a section without a fence, the writer frees at once "
            + "and the arena reuses the block about one 1 ms clock tick after the grace period"),
    /** One {@code Arena.ofShared()} per block, closed to free it. */
    SHARED_ARENA("one Arena.ofShared() per block, freed by close(): the JDK's only safe immediate free of "
            + "memory other threads read, a handshake with every thread per close; a reader that loses the "
            + "race gets an IllegalStateException (a refused read)"),
    /** One {@code Arena.ofAuto()} per block, freed by the garbage collector. */
    AUTO_ARENA("one Arena.ofAuto() per block: the writer drops the old block and the garbage collector frees "
            + "it once no reader holds it"),
    /**
     * The negative control, not listed to users: blocks from a free list, reused by the very next
     * replacement without waiting for readers (memory-safe, since nothing is ever returned to the
     * system during the run, but exactly the use-after-free that the others prevent). The reader's
     * check must catch it; a run with it exits 1.
     */
    IMMEDIATE_REUSE("the negative control: blocks reused by the next replacement without waiting for "
            + "readers; its readers must see torn or foreign blocks");

    private final String description;

    OffheapStrategy(final String description) {
        this.description = description;
    }

    /** @return what the strategy does, in words */
    public String description() {
        return description;
    }

    /** @return whether {@code --help} and the error messages name it (all but the control) */
    public boolean listed() {
        return this != IMMEDIATE_REUSE;
    }

    /** @return whether it frees through an {@code SmrArena} */
    public boolean smr() {
        return this == SMR_DEFAULT || this == SMR_LAZY;
    }

    /** @return the strategies a user is told about, in their default order */
    public static List<OffheapStrategy> listedValues() {
        return Arrays.stream(values()).filter(OffheapStrategy::listed).toList();
    }

    /** @return the listed names, comma-separated, for help and error messages */
    public static String listedNames() {
        return String.join(", ", listedValues().stream().map(Enum::name).toList());
    }

    /**
     * @param name a strategy's name, in any case
     * @return the strategy, or null if none has that name
     */
    public static OffheapStrategy parse(final String name) {
        for (final OffheapStrategy s : values()) {
            if (s.name().equals(name.strip().toUpperCase(Locale.ROOT))) {
                return s;
            }
        }
        return null;
    }
}
