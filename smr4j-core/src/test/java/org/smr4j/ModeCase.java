package org.smr4j;

import java.time.Duration;

/**
 * The domain configurations every parameterised suite runs over: one per {@link Smr.Mode}.
 * Deferred uses a small limit so that tests cross the "every limit-th advance is real" boundary
 * quickly; lazy uses the default 1 ms tick so that goals come due fast.
 */
enum ModeCase {
    DEFAULT {
        @Override
        Smr.Builder builder(final String name) {
            return Smr.builder(name);
        }
    },
    DEFERRED {
        @Override
        Smr.Builder builder(final String name) {
            return Smr.builder(name).deferred(DEFERRED_LIMIT);
        }
    },
    LAZY {
        @Override
        Smr.Builder builder(final String name) {
            return Smr.builder(name).lazy(LAZY_TICK);
        }
    };

    /** Advances per thread between real ones in the DEFERRED case. */
    static final int DEFERRED_LIMIT = 4;
    /** Tick of the LAZY case. */
    static final Duration LAZY_TICK = Duration.ofMillis(1);

    abstract Smr.Builder builder(String name);

    Smr build(final String name) {
        final Smr smr = builder(name + "-" + name().toLowerCase(java.util.Locale.ROOT)).build();
        if (smr.mode() != mode()) {
            throw new AssertionError("built " + smr.mode() + " for " + this);
        }
        return DomainValidation.track(smr);
    }

    Smr.Mode mode() {
        return Smr.Mode.valueOf(name());
    }
}
