package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link SmrPointer}: every accessor returns what was stored; with checks on, the reader
 * accessor refuses to run outside a section and the writer accessors refuse to run while the
 * serialisation predicate is false, naming the domain, the accessor and the thread; with
 * checks off nothing is evaluated and nothing throws.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ExtendWith(DomainValidation.class)
class SmrPointerTest {

    @ParameterizedTest
    @EnumSource(ModeCase.class)
    void accessorsReturnWhatWasStored(final ModeCase mc) {
        final Smr smr = mc.build("pointer");
        final SmrPointer<String> p = new SmrPointer<>(smr);
        assertThat(p.smr()).isSameAs(smr);
        assertThat(p.unserializedLoad()).isNull();
        p.serializedStore("a");
        assertThat(p.serializedLoad()).isEqualTo("a");
        smr.enter();
        try {
            assertThat(p.enteredLoad()).isEqualTo("a");
        } finally {
            smr.exit();
        }
        assertThat(p.serializedSwap("b")).isEqualTo("a");
        assertThat(p.serializedLoad()).isEqualTo("b");
        p.unserializedStore("c");
        assertThat(p.unserializedLoad()).isEqualTo("c");
        assertThat(p.serializedSwap(null)).isEqualTo("c");
        assertThat(p.unserializedLoad()).isNull();
        final SmrPointer<Integer> q = new SmrPointer<>(smr, () -> true, 42);
        assertThat(q.serializedLoad()).isEqualTo(42);
        assertThat(q.toString()).contains(smr.name(), "42");
    }

    @Test
    void aValuePublishedByAnotherThreadIsSeenInitialised() {
        final Smr smr = Smr.builder("publish").checked(true).build();
        final ReentrantLock lock = new ReentrantLock();
        final SmrPointer<int[]> p = new SmrPointer<>(smr, lock::isHeldByCurrentThread, null);
        try (Actor writer = new Actor("writer")) {
            writer.run(() -> {
                lock.lock();
                try {
                    p.serializedStore(new int[] {1, 2, 3});
                } finally {
                    lock.unlock();
                }
            });
        }
        smr.enter();
        try {
            assertThat(p.enteredLoad()).containsExactly(1, 2, 3);
        } finally {
            smr.exit();
        }
    }

    private static void assertRefused(final Smr smr, final ThrowingCallable call, final String accessor) {
        assertThatIllegalStateException().isThrownBy(call)
                .withMessageContaining("'" + smr.name() + "'")
                .withMessageContaining("SmrPointer." + accessor)
                .withMessageContaining(Thread.currentThread().getName());
    }

    @ParameterizedTest
    @EnumSource(ModeCase.class)
    void withChecksOnMisuseIsRefused(final ModeCase mc) {
        final Smr smr = mc.builder("checked-" + mc).checked(true).build();
        assertThat(smr.checks()).isTrue();
        final ReentrantLock lock = new ReentrantLock();
        final SmrPointer<String> p = new SmrPointer<>(smr, lock::isHeldByCurrentThread, "x");
        assertRefused(smr, p::enteredLoad, "enteredLoad() outside a read section");
        assertRefused(smr, p::serializedLoad, "serializedLoad() while not serialized");
        assertRefused(smr, () -> p.serializedStore("y"), "serializedStore() while not serialized");
        assertRefused(smr, () -> p.serializedSwap("y"), "serializedSwap() while not serialized");
        assertThat(p.unserializedLoad()).as("refused stores changed nothing").isEqualTo("x");
        // Satisfied preconditions pass.
        lock.lock();
        try {
            p.serializedStore("y");
            assertThat(p.serializedLoad()).isEqualTo("y");
            assertThat(p.serializedSwap("z")).isEqualTo("y");
        } finally {
            lock.unlock();
        }
        smr.enter();
        try {
            assertThat(p.enteredLoad()).isEqualTo("z");
            assertRefused(smr, p::serializedLoad, "serializedLoad()"); // being a reader does not serialise a writer
        } finally {
            smr.exit();
        }
        assertRefused(smr, p::enteredLoad, "enteredLoad()"); // after exit, outside again
        // Unserialized accessors are never checked.
        p.unserializedStore("w");
        assertThat(p.unserializedLoad()).isEqualTo("w");
    }

    @ParameterizedTest
    @EnumSource(ModeCase.class)
    void withChecksOffNothingIsEvaluatedOrRefused(final ModeCase mc) {
        final Smr smr = mc.builder("unchecked-" + mc).checked(false).build();
        assertThat(smr.checks()).isFalse();
        final int[] evaluations = new int[1];
        final SmrPointer<String> p = new SmrPointer<>(smr, () -> {
            evaluations[0]++;
            return false;
        }, "x");
        assertThatCode(() -> {
            assertThat(p.enteredLoad()).isEqualTo("x");
            assertThat(p.serializedLoad()).isEqualTo("x");
            p.serializedStore("y");
            assertThat(p.serializedSwap("z")).isEqualTo("y");
        }).doesNotThrowAnyException();
        assertThat(evaluations[0]).as("the predicate is evaluated only by checked domains").isZero();
    }

    @ParameterizedTest
    @EnumSource(ModeCase.class)
    void theOneArgumentConstructorLeavesWritersUncheckedInACheckedDomain(final ModeCase mc) {
        // "Creates a null pointer whose serialised accessors are not checked": its predicate
        // is always true, so writers pass even where checks are on; the reader check stays.
        final Smr smr = mc.builder("unchecked-writers-" + mc).checked(true).build();
        final SmrPointer<String> p = new SmrPointer<>(smr);
        assertThat(p.serializedLoad()).isNull();
        p.serializedStore("a");
        assertThat(p.serializedSwap("b")).isEqualTo("a");
        assertThat(p.serializedLoad()).isEqualTo("b");
        assertRefused(smr, p::enteredLoad, "enteredLoad() outside a read section");
    }

    @Test
    void checksFollowTheSystemPropertyByDefault() {
        final String old = System.getProperty(Smr.CHECKS_PROP_NAME);
        try {
            System.setProperty(Smr.CHECKS_PROP_NAME, "true");
            assertThat(Smr.builder("prop-on").build().checks()).isTrue();
            assertThat(Smr.builder("prop-on-overridden").checked(false).build().checks()).isFalse();
            System.clearProperty(Smr.CHECKS_PROP_NAME);
            assertThat(Smr.builder("prop-off").build().checks()).isEqualTo(Smr.CHECKS_DEFAULT);
        } finally {
            if (old != null) {
                System.setProperty(Smr.CHECKS_PROP_NAME, old);
            } else {
                System.clearProperty(Smr.CHECKS_PROP_NAME);
            }
        }
    }

    @Test
    void constructorRefusesNulls() {
        final Smr smr = Smr.create("nulls");
        assertThatNullPointerException().isThrownBy(() -> new SmrPointer<String>(null));
        assertThatNullPointerException().isThrownBy(() -> new SmrPointer<String>(smr, null, "x"));
    }
}
