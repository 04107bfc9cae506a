package org.smr4j.netinet;

import java.util.SplittableRandom;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * A test's random seed. Tests that use randomness take a {@code Seed} parameter (resolved by
 * {@link Extension}); the extension prints the seed of every failed test, and
 * {@code -Dsmr4j.test.seed=N} replays it (for the single-threaded parts of a test; thread
 * interleavings are not replayed).
 *
 * @param value the seed
 */
record Seed(long value) {
    static final String SEED_PROP_NAME = "smr4j.test.seed";

    SplittableRandom random() {
        return new SplittableRandom(value);
    }

    /** Resolves {@link Seed} parameters and prints the seed when the test fails. */
    static final class Extension implements ParameterResolver, TestWatcher {
        private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(Seed.class);

        @Override
        public boolean supportsParameter(final ParameterContext p, final ExtensionContext c) {
            return p.getParameter().getType() == Seed.class;
        }

        @Override
        public Object resolveParameter(final ParameterContext p, final ExtensionContext c) {
            final String fixed = System.getProperty(SEED_PROP_NAME);
            final Seed seed = new Seed(fixed != null ? Long.parseLong(fixed)
                    : System.nanoTime() ^ Thread.currentThread().threadId());
            c.getStore(NS).put("seed", seed);
            return seed;
        }

        @Override
        public void testFailed(final ExtensionContext c, final Throwable cause) {
            final Seed seed = c.getStore(NS).get("seed", Seed.class);
            if (seed != null) {
                System.err.println("FAILED " + c.getDisplayName() + " in " + c.getRequiredTestClass().getSimpleName()
                        + " with seed " + seed.value() + "; replay with -D" + SEED_PROP_NAME + "=" + seed.value());
            }
        }
    }
}
