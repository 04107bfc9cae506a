package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Misuse is refused loudly, as FreeBSD's KASSERTs do, and the messages say where: the domain
 * and the thread for every {@link IllegalStateException}, the offending value for every
 * {@link IllegalArgumentException}. After each refusal the domain and the caller's section are
 * still usable.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ExtendWith(DomainValidation.class)
class SmrMisuseTest {

    private static void assertIse(final Smr smr, final ThrowingCallable call, final String... fragments) {
        assertThatIllegalStateException().isThrownBy(call)
                .withMessageContaining("'" + smr.name() + "'")
                .withMessageContaining(Thread.currentThread().getName())
                .withMessageContainingAll(fragments);
    }

    @ParameterizedTest
    @EnumSource(ModeCase.class)
    void exitWithoutEnter(final ModeCase mc) {
        final Smr smr = mc.build("exit");
        try (Actor thread = new Actor("unregistered-thread")) {
            // Never registered: the domain method refuses.
            thread.run(() -> assertIse(smr, smr::exit, "exit() without enter()"));
            // Registered, depth 0: the handle refuses too, through both entry points.
            thread.run(() -> {
                final Smr.Reader reader = smr.reader();
                assertIse(smr, reader::exit, "exit() without enter()");
                assertIse(smr, smr::exit, "exit() without enter()");
                reader.enter();
                reader.exit();
                assertIse(smr, reader::exit, "exit() without enter()");
                assertThat(reader.entered()).isFalse();
            });
        }
    }

    @ParameterizedTest
    @EnumSource(ModeCase.class)
    void blockingOrAdvancingInsideASectionIsRefused(final ModeCase mc) {
        final Smr smr = mc.build("inside");
        try (Actor writer = new Actor("writer-in-section")) {
            final long goal = writer.call(smr::advance);
            writer.run(() -> {
                smr.enter();
                assertIse(smr, smr::advance, "advance() inside a read section");
                assertIse(smr, () -> smr.waitFor(goal), "waitFor(" + goal + ") inside a read section");
                assertIse(smr, smr::synchronize, "inside a read section");
                smr.enter(); // nested: still refused
                assertIse(smr, smr::advance, "advance()");
                smr.exit();
                assertThat(smr.entered()).as("the refusals left the section open").isTrue();
                smr.exit();
                assertThat(smr.entered()).isFalse();
                smr.waitFor(goal); // outside: fine again
                smr.synchronize();
            });
        }
        // One advance before the section, one inside synchronize() after it; the refused ones do not count.
        assertThat(smr.stats().advances()).as("refused advances are not counted").isEqualTo(2);
    }

    @ParameterizedTest
    @EnumSource(ModeCase.class)
    void aReaderHandleUsedFromAnotherThreadIsRefused(final ModeCase mc) {
        final Smr smr = mc.build("handle");
        try (Actor owner = new Actor("handle-owner"); Actor intruder = new Actor("intruder")) {
            final Smr.Reader handle = owner.call(smr::reader);
            owner.run(handle::enter);
            intruder.run(() -> {
                assertIse(smr, handle::enter, "Reader.enter()", "handle-owner");
                assertIse(smr, handle::exit, "Reader.exit()", "handle-owner");
                assertIse(smr, handle::entered, "Reader.entered()", "handle-owner");
                assertThat(smr.entered()).as("the intruder's own state is untouched").isFalse();
            });
            assertThat(owner.call(handle::entered)).as("the owner's section survived").isTrue();
            owner.run(handle::exit);
            assertThat(handle.smr()).isSameAs(smr);
        }
    }

    @ParameterizedTest
    @EnumSource(ModeCase.class)
    void invalidGoalsAreRefusedWithTheValue(final ModeCase mc) {
        final Smr smr = mc.build("goals");
        assertThatIllegalArgumentException().isThrownBy(() -> smr.poll(SmrSeq.INVALID))
                .withMessageContaining("goal 0").withMessageContaining(smr.name());
        assertThatIllegalArgumentException().isThrownBy(() -> smr.waitFor(SmrSeq.INVALID))
                .withMessageContaining("goal 0");
        final long far = smr.current() + 1_000_000 * SmrSeq.INCR; // a million steps (lazy: ticks) ahead
        assertThatIllegalArgumentException().isThrownBy(() -> smr.poll(far))
                .withMessageContaining("goal " + far)
                .withMessageContaining("write sequence")
                .withMessageContaining("'" + smr.name() + "'");
        assertThatIllegalArgumentException().isThrownBy(() -> smr.waitFor(far))
                .withMessageContaining("goal " + far);
        if (mc == ModeCase.DEFAULT) {
            final long next = smr.current() + SmrSeq.INCR; // default mode never returns a future goal
            assertThatIllegalArgumentException().isThrownBy(() -> smr.poll(next)).withMessageContaining("goal " + next);
        }
        smr.waitFor(smr.advance()); // the refusals changed nothing
    }

    @Test
    void builderMisuse() {
        assertThatIllegalArgumentException().isThrownBy(() -> Smr.builder("d0").deferred(0))
                .withMessageContaining("deferred limit 0").withMessageContaining("'d0'");
        assertThatIllegalArgumentException().isThrownBy(() -> Smr.builder("dneg").deferred(-3))
                .withMessageContaining("-3");
        assertThatIllegalStateException().isThrownBy(() -> Smr.builder("both").lazy().deferred(2).build())
                .withMessageContaining("'both'").withMessageContaining("deferred(2)");
        assertThatIllegalStateException().isThrownBy(() -> Smr.builder("both2").deferred(2).lazy().build())
                .withMessageContaining("'both2'");
        assertThatNullPointerException().isThrownBy(() -> Smr.builder(null));
        assertThatNullPointerException().isThrownBy(() -> Smr.create(null));
        assertThatNullPointerException().isThrownBy(() -> Smr.builder("n").lazy(null));
        assertThat(Smr.builder("d1").deferred(1).build().mode()).isEqualTo(Smr.Mode.DEFERRED);
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 9_999, 1_000_000_001, -1, Long.MAX_VALUE})
    void lazyTickOutOfRange(final long nanos) {
        final Duration tick = Duration.ofNanos(nanos);
        assertThatIllegalArgumentException().isThrownBy(() -> Smr.builder("tick").lazy(tick))
                .withMessageContaining(tick.toString()).withMessageContaining("'tick'");
    }

    @Test
    void lazyTickTooLargeForNanosecondsIsStillAnIllegalArgument() {
        for (final Duration tick : new Duration[] {Duration.ofSeconds(Long.MAX_VALUE), Duration.ofSeconds(Long.MIN_VALUE),
                Duration.ofDays(365L * 1000)}) {
            assertThatIllegalArgumentException().as("tick %s", tick).isThrownBy(() -> Smr.builder("huge").lazy(tick))
                    .withMessageContaining("out of range").withMessageContaining("'huge'");
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {10_000, 1_000_000_000})
    void lazyTickBoundsAreAccepted(final long nanos) {
        assertThatCode(() -> Smr.builder("tick").lazy(Duration.ofNanos(nanos)).build()).doesNotThrowAnyException();
    }
}
