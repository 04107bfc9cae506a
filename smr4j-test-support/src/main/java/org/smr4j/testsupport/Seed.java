package org.smr4j.testsupport;

import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * A test's random seed. Tests that use randomness take a {@code Seed} parameter (resolved by
 * {@link Extension}, registered with {@code @ExtendWith(Seed.Extension.class)}); the extension
 * prints the seed of every failed test, and {@code -Dsmr4j.test.seed=N} replays it (for the
 * single-threaded parts of a test; thread interleavings are not replayed).
 *
 * @param value the seed
 */
public record Seed(long value) {
    /** The system property that fixes the seed of every test: {@value}. */
    public static final String SEED_PROP_NAME = "smr4j.test.seed";

    /**
     * Returns a generator seeded with this seed.
     *
     * @return a new {@link SplittableRandom} of this seed
     */
    public SplittableRandom random() {
        return new SplittableRandom(value);
    }

    /**
     * Returns a {@link Random} seeded with this seed, for APIs that take one.
     *
     * @return a new {@link Random} of this seed
     */
    public Random jdkRandom() {
        return new Random(value);
    }

    /** Resolves {@link Seed} parameters and prints the seed when the test fails. */
    public static final class Extension implements ParameterResolver, TestWatcher {
        private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(Seed.class);

        /** Made by JUnit for {@code @ExtendWith}. */
        public Extension() {
        }

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
