package org.smr4j.stress;

import java.time.Duration;
import org.smr4j.Smr;

/**
 * The domains the tests share. One domain per test class, shared by all of its states: this is
 * how SMR is used (one domain, many objects), it keeps per-sample cost down (each thread
 * registers one record per domain, once), and in lazy mode it exercises the amortised barrier:
 * one {@code membarrier(2)} per tick serves every goal of that tick. Sharing only adds
 * conservative failures (a poll for one state may be held back by the reader's section on a
 * neighbouring state), never a false success, because every scan is a correct scan of the one
 * reader record.
 */
final class Domains {
    /**
     * The lazy tick of the stress domains: 20 us, near the builder's 10 us minimum, so that a
     * sample that must wait for the clock costs tens of microseconds, not a millisecond.
     */
    static final Duration LAZY_TICK = Duration.ofNanos(20_000);

    private Domains() {
    }

    /**
     * Returns a new default-mode domain.
     *
     * @param name the domain's name
     * @return the domain
     */
    static Smr defaultMode(final String name) {
        return Smr.create(name);
    }

    /**
     * Returns a new lazy domain whose readers are really fence-free, or fails: a lazy test
     * that silently ran with the fenced fallback would test the default reader twice.
     *
     * @param name the domain's name
     * @return the domain
     * @throws IllegalStateException if the readers would fall back to the fenced publication
     *         (not Linux, native access not granted, membarrier disabled)
     */
    static Smr lazyFenceFree(final String name) {
        return lazyFenceFree(name, LAZY_TICK);
    }

    /**
     * Returns a new lazy domain with the given tick whose readers are really fence-free, or
     * fails; see {@link #lazyFenceFree(String)}.
     *
     * @param name the domain's name
     * @param tick the lazy tick
     * @return the domain
     * @throws IllegalStateException if the readers would fall back to the fenced publication
     */
    static Smr lazyFenceFree(final String name, final Duration tick) {
        final Smr smr = Smr.builder(name).lazy(tick).build();
        if (!smr.fenceFreeReaders()) {
            throw new IllegalStateException("lazy domain '" + name + "' fell back to fenced readers, so this test"
                    + " would not test the fence-free lazy reader: run the jar on Linux with"
                    + " java --enable-native-access=ALL-UNNAMED -jar jcstress.jar (jcstress passes it to the forks)");
        }
        return smr;
    }
}
