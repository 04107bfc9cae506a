package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Checked mode: misuse is reported with the pool and the object's class; nothing is lost. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SmrPoolCheckedTest {
    /** A pooled object with a poison mark. */
    static final class Obj {
        boolean poisoned;
        int value;
    }

    private static SmrPool<Obj> checked(final String name, final int magazine) {
        return SmrPool.builder(name, Obj::new).jmx(false).checked(true).magazineSize(magazine)
                .construct(o -> o.poisoned = false)
                .poison(o -> {
                    o.poisoned = true;
                    o.value = 0xDEAD;
                }).build();
    }

    @Test
    void putNullThrowsNamingThePoolEvenUnchecked() {
        try (SmrPool<Obj> pool = SmrPool.builder("nulls", Obj::new).jmx(false).build()) {
            assertThatThrownBy(() -> pool.put(null)).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("pool 'nulls'");
        }
    }

    @Test
    void doublePut() {
        try (SmrPool<Obj> pool = checked("double", 4)) {
            final Obj a = pool.get();
            pool.put(a);
            assertThatThrownBy(() -> pool.put(a)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("pool 'double'").hasMessageContaining("double put")
                    .hasMessageContaining(Obj.class.getName());
            pool.checkInvariants();
        }
    }

    @Test
    void putIntoTheWrongPool() {
        try (SmrPool<Obj> p1 = checked("one", 4); SmrPool<Obj> p2 = checked("two", 4)) {
            final Obj a = p1.get();
            assertThatThrownBy(() -> p2.put(a)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("pool 'two'").hasMessageContaining("did not hand out")
                    .hasMessageContaining(Obj.class.getName());
            assertThatThrownBy(() -> p2.put(new Obj())).isInstanceOf(IllegalStateException.class);
            p1.put(a);
            p1.checkInvariants();
            p2.checkInvariants();
        }
    }

    @Test
    void aFactoryThatReturnsAnObjectItReturnedBeforeIsCaughtAtGet() {
        final Obj same = new Obj();
        try (SmrPool<Obj> pool = SmrPool.builder("same-at-get", () -> same).jmx(false).checked(true).build()) {
            assertThat(pool.get()).isSameAs(same);
            // The factory hands the object that is out now back as a new one.
            assertThatThrownBy(pool::get).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("pool 'same-at-get'")
                    .hasMessageContaining("about to hand out an object of " + Obj.class.getName() + " that is OUT")
                    .hasMessageContaining("(the factory returned an object it returned before)");
        }
    }

    @Test
    void aFactoryThatReturnsAnObjectItReturnedBeforeIsCaughtAtPrime() {
        final Obj same = new Obj();
        try (SmrPool<Obj> pool = SmrPool.builder("same-at-prime", () -> same).jmx(false).checked(true).build()) {
            assertThatThrownBy(() -> pool.prime(2)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("pool 'same-at-prime'")
                    .hasMessageContaining("the factory returned an object of " + Obj.class.getName()
                            + " it returned before");
        }
    }

    @Test
    void primeOnACheckedPoolRecordsEveryObjectAsReadyToHandOut() {
        try (SmrPool<Obj> pool = checked("prime-checked", 4)) {
            assertThat(pool.prime(6)).isEqualTo(6);
            pool.checkInvariants();
            final List<Obj> got = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                got.add(pool.get()); // each primed object is READY in the table: handed out without complaint
            }
            assertThat(got).doesNotHaveDuplicates();
            assertThat(pool.stats().live()).isEqualTo(6);
            got.forEach(pool::put);
            pool.checkInvariants();
        }
    }

    @Test
    void aPoisonThatThrowsDropsItsObjectInsteadOfCachingIt() {
        final List<Obj> poisoned = new ArrayList<>();
        try (SmrPool<Obj> pool = SmrPool.builder("poison-throws", Obj::new).jmx(false).checked(true).magazineSize(1)
                .poison(o -> {
                    poisoned.add(o);
                    throw new Faults.InjectedRuntime("poison");
                }).build()) {
            final Obj a = pool.get();
            pool.put(a);
            pool.flush();
            final Obj b = pool.get(); // the expire loop poisons a, which throws: a is dropped
            assertThat(poisoned).as("a was poisoned on expiry").contains(a);
            assertThat(b).as("a poison failure drops the object; it is never handed out").isNotSameAs(a);
            assertThat(pool.stats().hookFailures()).isGreaterThanOrEqualTo(1);
            assertThat(pool.stats().finalised()).isGreaterThanOrEqualTo(1);
            assertThat(pool.stats().live()).isEqualTo(1);
            pool.checkInvariants();
            pool.put(b);
        }
    }

    @Test
    void useAfterClose() {
        final SmrPool<Obj> pool = checked("closed", 4);
        final Obj a = pool.get();
        pool.close();
        assertThatThrownBy(() -> pool.put(a)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("pool 'closed'").hasMessageContaining("after close()")
                .hasMessageContaining(Obj.class.getName());
        assertThatThrownBy(pool::get).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("pool 'closed'");
        assertThatThrownBy(() -> pool.prime(1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void checkedPoolsRefuseEveryCallInsideASection() {
        try (SmrPool<Obj> pool = checked("section", 4)) {
            final Obj a = pool.get();
            pool.smr().enter();
            try {
                assertThatThrownBy(pool::get).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("pool 'section'").hasMessageContaining("read section");
                assertThatThrownBy(() -> pool.put(a)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining(Obj.class.getName());
            } finally {
                pool.smr().exit();
            }
            pool.put(a); // not lost: still ours to put
            pool.checkInvariants();
        }
    }

    @Test
    void uncheckedPoolsRefuseOnlyWhenTheyWouldAdvance() {
        try (SmrPool<Obj> pool = SmrPool.builder("lenient", Obj::new).jmx(false).magazineSize(2).build()) {
            final Obj a = pool.get();
            final Obj b = pool.get();
            final Obj c = pool.get();
            pool.smr().enter();
            try {
                pool.put(a);
                pool.put(b); // the magazine is full now; the next put would advance
                assertThatThrownBy(() -> pool.put(c)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("pool 'lenient'").hasMessageContaining("put()");
            } finally {
                pool.smr().exit();
            }
            pool.put(c);
            pool.checkInvariants();
            assertThat(pool.stats().cached()).isEqualTo(3);
        }
    }

    @Test
    void objectsArePoisonedWhenTheyExpireAndConstructedBeforeReuse() {
        try (SmrPool<Obj> pool = checked("poison", 1)) {
            final Obj a = pool.get();
            a.value = 42;
            pool.put(a);
            pool.flush();
            assertThat(a.poisoned).as("not poisoned while a reader could still hold it").isFalse();
            pool.reclaim(); // finalise: destruct, fini, poison
            assertThat(a.poisoned).isTrue();
            final Obj b = pool.get();
            b.value = 7;
            pool.put(b);
            pool.flush();
            final Obj again = pool.get(); // expired: poisoned, then constructed
            assertThat(again).isSameAs(b);
            assertThat(again.poisoned).isFalse();
            assertThat(again.value).isEqualTo(0xDEAD);
        }
    }

    @Test
    void randomOperationsKeepEveryObjectInExactlyOnePlace() {
        final long seed = System.nanoTime();
        final Random rnd = new Random(seed);
        try (SmrPool<Obj> pool = SmrPool.builder("random", Obj::new).jmx(false).checked(true).magazineSize(3)
                .hardLimit(64).limitPolicy(SmrPool.LimitPolicy.FAIL).build()) {
            final List<Obj> out = new ArrayList<>();
            for (int i = 0; i < 20_000; i++) {
                switch (rnd.nextInt(8)) {
                    case 0, 1, 2 -> {
                        final Obj o = pool.tryGet();
                        if (o != null) {
                            out.add(o);
                        }
                    }
                    case 3, 4, 5 -> {
                        if (!out.isEmpty()) {
                            pool.put(out.remove(rnd.nextInt(out.size())));
                        }
                    }
                    case 6 -> pool.flush();
                    default -> {
                        if (rnd.nextInt(10) == 0) {
                            pool.drain();
                        } else {
                            pool.reclaim();
                        }
                    }
                }
                if (i % 500 == 0) {
                    try {
                        pool.checkInvariants();
                    } catch (final AssertionError e) {
                        throw new AssertionError("seed " + seed + ", step " + i, e);
                    }
                }
            }
            out.forEach(pool::put);
            pool.checkInvariants();
        }
    }
}
