package org.smr4j.offheap;

import org.smr4j.Smr;

/**
 * The offheap tests' helpers: those of every module ({@link org.smr4j.testsupport.TestSupport}:
 * bounded waits, thread-state probes, the profile switches), domains of each mode and arenas.
 */
final class TestSupport extends org.smr4j.testsupport.TestSupport {

    private TestSupport() {
    }

    /** A domain of each mode, for parameterised tests. */
    enum Mode {
        DEFAULT, DEFERRED, LAZY;

        Smr domain(final String name) {
            return switch (this) {
                case DEFAULT -> Smr.create(name);
                case DEFERRED -> Smr.builder(name).deferred(8).build();
                case LAZY -> Smr.builder(name).lazy().build();
            };
        }
    }

    static SmrArena arena(final String name, final Smr smr) {
        return SmrArena.builder(name).smr(smr).jmx(false).build();
    }
}
