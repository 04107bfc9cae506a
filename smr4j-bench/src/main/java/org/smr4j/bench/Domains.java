package org.smr4j.bench;

import org.smr4j.Smr;

/**
 * Builds the domain each benchmark measures, one per {@link Smr.Mode}, the same way in every
 * benchmark so their numbers compare.
 */
final class Domains {
    /**
     * Deferred mode's limit: one real advance in eight. FreeBSD's only in-tree user of
     * {@code SMR_DEFERRED}, Roberson's {@code umaperf}, used 32; 8 keeps the poll benchmarks'
     * scans frequent enough to show.
     */
    static final int DEFERRED_LIMIT = 8;

    private Domains() {
    }

    /**
     * Creates a domain in {@code mode} (lazy: the default 1 ms tick). A lazy domain whose
     * readers fell back to fenced publication would measure default mode under the name lazy,
     * so that case throws instead.
     *
     * @param mode the mode to measure
     * @return a new domain
     * @throws IllegalStateException if {@code mode} is lazy and readers are not fence-free
     */
    static Smr create(final Smr.Mode mode) {
        final String name = "bench-" + mode;
        final Smr smr = switch (mode) {
            case DEFAULT -> Smr.create(name);
            case DEFERRED -> Smr.builder(name).deferred(DEFERRED_LIMIT).build();
            case LAZY -> Smr.builder(name).lazy().build();
        };
        if (mode == Smr.Mode.LAZY && !smr.fenceFreeReaders()) {
            throw new IllegalStateException("lazy domain has fenced readers (membarrier unavailable): "
                    + "run the fork with --enable-native-access=ALL-UNNAMED on Linux; " + smr);
        }
        return smr;
    }

    /** The protected object of the read-section benchmarks: readers load one field of it. */
    static final class Node {
        int value;

        Node(final int value) {
            this.value = value;
        }
    }
}
