package org.smr4j;

/**
 * The core tests' helpers: those of every module ({@link org.smr4j.testsupport.TestSupport}:
 * bounded waits, thread-state probes, the profile switches), and the "make a goal due" step
 * every mode needs and the membarrier switch, which need the core's internals.
 */
final class TestSupport extends org.smr4j.testsupport.TestSupport {

    private TestSupport() {
    }

    /** True in the forked JVM of the {@code membarrier-fallback} surefire execution. */
    static boolean membarrierDisabledByProperty() {
        return "false".equalsIgnoreCase(System.getProperty(AsymmetricFence.ENABLED_PROP_NAME));
    }

    /**
     * Moves the write sequence up to {@code goal} by advancing from the calling thread (which
     * must not be in a section): a no-op in default mode, at most {@code limit} advances in
     * deferred mode, up to one tick of clock in lazy mode. Does not poll, so the read
     * sequence is left where it was and the next poll has to scan.
     */
    static void makeDue(final Smr smr, final long goal) {
        await("write sequence of " + smr + " reaches goal " + goal, () -> {
            if (SmrSeq.lt(smr.current(), goal)) {
                smr.advance();
            }
            return SmrSeq.geq(smr.current(), goal);
        });
    }
}
