package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.smr4j.testsupport.Seed;

/**
 * Fault injection (issue 13): every user hook and action that smr4j-core calls throws, in
 * turn, a runtime exception, an error and a checked exception (thrown sneakily), on every
 * third call from a seeded phase, while one thread and then four (platform and virtual)
 * use the structure, with flushes, reclaims and drains in between, at a hard limit low enough
 * that the threads wait for each other. Afterwards:
 * <ul>
 *   <li>nothing was lost: every object whose init completed was finalised exactly once
 *       (every put object destructed exactly once, every retired action run exactly once);</li>
 *   <li>the statistics are exact: created, finalised, live, requests, puts, hook failures;</li>
 *   <li>the structure's invariants hold (checkInvariants, before close);</li>
 *   <li>nothing waited for ever (bounded joins, the class timeout);</li>
 *   <li>each failure was reported exactly once: thrown to the one caller whose call ran the
 *       hook (factory, init, construct; PserializePool's destruct), or counted in the stats
 *       and logged once (destruct, fini, poison, actions): the first failure of each hook at
 *       WARNING, the others at DEBUG, and no log line for a failure that was thrown.</li>
 * </ul>
 * The phase of the failures, the use pattern and the pool's domain mode come from the seed,
 * printed on failure ({@link Seed}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(Seed.Extension.class)
class HookFaultInjectionTest {
    /** The pool configurations a round picks from (DEFAULT, DEFERRED, LAZY). */
    private static final java.util.List<SmrPoolTesting.Mode> MODES = java.util.List.of(SmrPoolTesting.Mode.values());
    private static final AtomicInteger CASES = new AtomicInteger();
    /** One call in PERIOD of the target hook fails. */
    private static final int PERIOD = 3;
    private static final int LIMIT = 6;
    /** Rounds of get and put per worker thread; more under -Pslow. */
    private static final int ROUNDS = SmrPoolTesting.slow() ? 20_000 : 600;

    /** A pooled object that counts what its hooks did to it. */
    static final class Obj {
        final int id;
        volatile boolean initialised;
        final AtomicInteger finis = new AtomicInteger();
        final AtomicInteger destructs = new AtomicInteger();
        final AtomicInteger constructs = new AtomicInteger();

        Obj(final int id) {
            this.id = id;
        }
    }

    /** Fails the target hook on every PERIOD-th call from a seeded phase, and counts what it threw. */
    static final class Injector {
        final String target;
        final Faults.Kind kind;
        final int phase;
        final AtomicLong calls = new AtomicLong();
        final AtomicLong thrown = new AtomicLong();

        Injector(final String target, final Faults.Kind kind, final int phase) {
            this.target = target;
            this.kind = kind;
            this.phase = phase;
        }

        /** Called at the start of hook {@code hook}: throws if it is this call's turn. */
        void at(final String hook) {
            if (hook.equals(target) && (calls.getAndIncrement() + phase) % PERIOD == 0) {
                thrown.incrementAndGet();
                kind.fire(hook);
            }
        }
    }

    /** What callers saw: failures thrown at them, counted and checked to be ours. */
    static final class Callers {
        final AtomicLong caught = new AtomicLong();
        final List<Throwable> unexpected = new CopyOnWriteArrayList<>();

        void caught(final Throwable t, final Faults.Kind kind) {
            if (Faults.injected(t) && kind.matches(t)) {
                caught.incrementAndGet();
            } else {
                unexpected.add(t);
            }
        }
    }

    static Stream<Arguments> smrPoolCases() {
        final List<Arguments> cases = new ArrayList<>();
        for (final String hook : List.of("factory", "init", "construct", "destruct", "fini", "poison")) {
            for (final Faults.Kind kind : Faults.Kind.values()) {
                if (!hook.equals("poison")) {
                    cases.add(Arguments.of(hook, kind, false));
                }
                cases.add(Arguments.of(hook, kind, true)); // poison runs in checked pools only
            }
        }
        return cases.stream();
    }

    // ------------------------------------------------------------------ SmrPool

    @ParameterizedTest(name = "SmrPool: {0} throws {1}, checked={2}")
    @MethodSource("smrPoolCases")
    void smrPool(final String hook, final Faults.Kind kind, final boolean checked, final Seed seed) throws Exception {
        final SplittableRandom rnd = seed.random();
        final Injector inject = new Injector(hook, kind, rnd.nextInt(PERIOD));
        final String name = "faults-" + CASES.incrementAndGet();
        final SmrPoolTesting.Mode mode = MODES.get(rnd.nextInt(MODES.size()));
        final List<Obj> made = new CopyOnWriteArrayList<>();
        final AtomicInteger ids = new AtomicInteger();
        final SmrPool<Obj> pool = SmrPool.<Obj>builder(name, () -> {
            inject.at("factory");
            final Obj o = new Obj(ids.incrementAndGet());
            made.add(o);
            return o;
        }).smr(mode.domain(name)).jmx(false).checked(checked).magazineSize(2).hardLimit(LIMIT)
                .trimInterval(java.time.Duration.ofMillis(rnd.nextInt(2) * 20L))
                .init(o -> {
                    inject.at("init");
                    o.initialised = true;
                })
                .construct(o -> {
                    o.constructs.incrementAndGet();
                    inject.at("construct");
                })
                .destruct(o -> {
                    o.destructs.incrementAndGet();
                    inject.at("destruct");
                })
                .fini(o -> {
                    o.finis.incrementAndGet();
                    inject.at("fini");
                })
                .poison(o -> inject.at("poison"))
                .build();
        final Callers callers = new Callers();
        final AtomicLong getCalls = new AtomicLong();
        final AtomicLong gotten = new AtomicLong();
        final AtomicLong puts = new AtomicLong();
        try (Faults.LogCapture log = new Faults.LogCapture("org.smr4j.pool")) {
            // One thread: bursts up to the limit, with flush, reclaim and drain in between.
            for (int round = 0; round < 200; round++) {
                final List<Obj> held = new ArrayList<>();
                final int k = 1 + rnd.nextInt(LIMIT);
                for (int i = 0; i < k; i++) {
                    getCalls.incrementAndGet();
                    try {
                        held.add(pool.get());
                        gotten.incrementAndGet();
                    } catch (final Throwable t) {
                        callers.caught(t, kind);
                    }
                }
                for (final Obj o : held) {
                    pool.put(o);
                    puts.incrementAndGet();
                }
                switch (rnd.nextInt(12)) {
                    case 0 -> pool.flush();
                    case 1 -> pool.reclaim();
                    case 2 -> pool.drain();
                    default -> { }
                }
            }
            pool.checkInvariants();
            // Four threads, two platform and two virtual, at a limit that makes them wait.
            final List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                final long threadSeed = rnd.nextLong();
                final Runnable work = () -> {
                    final SplittableRandom r = new SplittableRandom(threadSeed);
                    for (int i = 0; i < ROUNDS; i++) {
                        final List<Obj> held = new ArrayList<>();
                        final int k = 1 + r.nextInt(2);
                        for (int j = 0; j < k; j++) {
                            getCalls.incrementAndGet();
                            try {
                                held.add(pool.get());
                                gotten.incrementAndGet();
                            } catch (final Throwable e) {
                                callers.caught(e, kind);
                            }
                        }
                        for (final Obj o : held) {
                            pool.put(o);
                            puts.incrementAndGet();
                        }
                    }
                };
                threads.add(t < 2 ? Thread.ofPlatform().name("faults-worker-" + t).start(work)
                        : Thread.ofVirtual().name("faults-vworker-" + t).start(work));
            }
            for (final Thread t : threads) {
                t.join(30_000);
                assertThat(t.isAlive()).as(t.getName() + " finished: nothing waits for ever").isFalse();
            }
            pool.checkInvariants();
            pool.close();

            final SmrPool.Stats st = pool.stats();
            final boolean thrownToCallers = hook.equals("factory") || hook.equals("init") || hook.equals("construct");
            assertThat(inject.thrown.get()).as("the hook failed at all").isPositive();
            assertThat(callers.unexpected).as("failures that were not ours").isEmpty();
            // Reported once: thrown to its caller, or counted and logged, never both.
            assertThat(callers.caught.get()).as("failures thrown to callers")
                    .isEqualTo(thrownToCallers ? inject.thrown.get() : 0);
            assertThat(st.hookFailures()).as("failures counted").isEqualTo(thrownToCallers ? 0 : inject.thrown.get());
            final String line = "pool '" + name + "': " + hook + " threw";
            assertThat(log.containing("pool '" + name + "'")).as("log lines of this pool")
                    .hasSize(thrownToCallers ? 0 : (int) inject.thrown.get());
            if (!thrownToCallers) {
                assertThat(log.count(line, Level.WARNING)).as("one WARNING for the hook").isEqualTo(1);
                assertThat(log.count(line, Level.FINE)).as("the others at DEBUG").isEqualTo(inject.thrown.get() - 1);
            }
            // Nothing lost: fini exactly once for every object whose init completed, else never.
            long initialised = 0;
            long destructs = 0;
            long constructs = 0;
            for (final Obj o : made) {
                assertThat(o.finis.get()).as("fini calls of object %d (initialised %s)", o.id, o.initialised)
                        .isEqualTo(o.initialised ? 1 : 0);
                initialised += o.initialised ? 1 : 0;
                destructs += o.destructs.get();
                constructs += o.constructs.get();
            }
            assertThat(destructs).as("one destruct per put").isEqualTo(puts.get());
            assertThat(constructs).as("one construct per get that reached it")
                    .isEqualTo(gotten.get() + (hook.equals("construct") ? inject.thrown.get() : 0));
            // Statistics exact.
            assertThat(st.created()).isEqualTo(initialised);
            assertThat(st.finalised()).isEqualTo(initialised);
            assertThat(st.live()).isZero();
            assertThat(st.cached()).isZero();
            assertThat(st.requests()).isEqualTo(getCalls.get());
            assertThat(st.puts()).isEqualTo(puts.get());
            assertThat(st.failures()).as("WAIT never fails").isZero();
            System.out.printf("SmrPool %s %s checked=%s %s: %d failures, %d objects, %d gets%n", hook, kind, checked,
                    mode, inject.thrown.get(), made.size(), getCalls.get());
        }
    }

    // ------------------------------------------------------------------ PserializePool

    static Stream<Arguments> pserializePoolCases() {
        final List<Arguments> cases = new ArrayList<>();
        for (final String hook : List.of("factory", "init", "construct", "destruct", "fini")) {
            for (final Faults.Kind kind : Faults.Kind.values()) {
                cases.add(Arguments.of(hook, kind));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "PserializePool: {0} throws {1}")
    @MethodSource("pserializePoolCases")
    void pserializePool(final String hook, final Faults.Kind kind, final Seed seed) throws Exception {
        final SplittableRandom rnd = seed.random();
        final Injector inject = new Injector(hook, kind, rnd.nextInt(PERIOD));
        final String name = "psz-faults-" + CASES.incrementAndGet();
        final List<Obj> made = new CopyOnWriteArrayList<>();
        final AtomicInteger ids = new AtomicInteger();
        final PserializePool<Obj> pool = PserializePool.<Obj>builder(name, () -> {
            inject.at("factory");
            final Obj o = new Obj(ids.incrementAndGet());
            made.add(o);
            return o;
        }).stripes(2).magazineSize(2).hiwat(2).hardLimit(LIMIT)
                .init(o -> {
                    inject.at("init");
                    o.initialised = true;
                })
                .construct(o -> {
                    o.constructs.incrementAndGet();
                    inject.at("construct");
                })
                .destruct(o -> {
                    o.destructs.incrementAndGet();
                    inject.at("destruct");
                })
                .fini(o -> {
                    o.finis.incrementAndGet();
                    inject.at("fini");
                })
                .build();
        final Callers callers = new Callers();
        final AtomicLong getCalls = new AtomicLong();
        final AtomicLong putCalls = new AtomicLong();
        final Consumer<SplittableRandom> round = r -> {
            final List<Obj> held = new ArrayList<>();
            final int k = 1 + r.nextInt(2);
            for (int j = 0; j < k; j++) {
                getCalls.incrementAndGet();
                try {
                    held.add(pool.get());
                } catch (final Throwable e) {
                    callers.caught(e, kind);
                }
            }
            for (final Obj o : held) {
                putCalls.incrementAndGet();
                try {
                    pool.put(o);
                } catch (final Throwable e) {
                    callers.caught(e, kind); // destruct: the object is cached all the same
                }
            }
        };
        try (Faults.LogCapture log = new Faults.LogCapture("org.smr4j.pool")) {
            for (int i = 0; i < 200; i++) {
                round.accept(rnd);
                if (rnd.nextInt(10) == 0) {
                    pool.reclaim();
                }
            }
            pool.checkInvariants();
            final List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                final long threadSeed = rnd.nextLong();
                final Runnable work = () -> {
                    final SplittableRandom r = new SplittableRandom(threadSeed);
                    for (int i = 0; i < ROUNDS; i++) {
                        round.accept(r);
                    }
                };
                threads.add(t < 2 ? Thread.ofPlatform().name("psz-faults-worker-" + t).start(work)
                        : Thread.ofVirtual().name("psz-faults-vworker-" + t).start(work));
            }
            for (final Thread t : threads) {
                t.join(30_000);
                assertThat(t.isAlive()).as(t.getName() + " finished: nothing waits for ever").isFalse();
            }
            pool.checkInvariants();
            pool.close();

            final PserializePool.Stats st = pool.stats();
            final boolean counted = hook.equals("fini");
            assertThat(inject.thrown.get()).as("the hook failed at all").isPositive();
            assertThat(callers.unexpected).as("failures that were not ours").isEmpty();
            assertThat(callers.caught.get()).as("failures thrown to callers").isEqualTo(counted ? 0 : inject.thrown.get());
            assertThat(st.hookFailures()).as("failures counted").isEqualTo(counted ? inject.thrown.get() : 0);
            assertThat(log.containing("pool '" + name + "'")).as("log lines of this pool")
                    .hasSize(counted ? (int) inject.thrown.get() : 0);
            if (counted) {
                final String line = "pool '" + name + "': fini threw";
                assertThat(log.count(line, Level.WARNING)).isEqualTo(1);
                assertThat(log.count(line, Level.FINE)).isEqualTo(inject.thrown.get() - 1);
            }
            long initialised = 0;
            for (final Obj o : made) {
                assertThat(o.finis.get()).as("fini calls of object %d (initialised %s)", o.id, o.initialised)
                        .isEqualTo(o.initialised ? 1 : 0);
                initialised += o.initialised ? 1 : 0;
            }
            final long constructFailures = hook.equals("construct") ? inject.thrown.get() : 0;
            assertThat(st.created()).isEqualTo(initialised);
            assertThat(st.finalised()).isEqualTo(initialised);
            assertThat(st.allocated()).isZero();
            assertThat(st.cached()).isZero();
            assertThat(st.gets()).isEqualTo(getCalls.get());
            assertThat(st.puts()).as("puts, and objects whose construct failed").isEqualTo(putCalls.get() + constructFailures);
            System.out.printf("PserializePool %s %s: %d failures, %d objects%n", hook, kind, inject.thrown.get(), made.size());
        }
    }

    // ------------------------------------------------------------------ SmrRetireQueue

    @ParameterizedTest(name = "SmrRetireQueue: actions throw {0}")
    @EnumSource(Faults.Kind.class)
    void retireQueue(final Faults.Kind kind, final Seed seed) throws Exception {
        final SplittableRandom rnd = seed.random();
        final Injector inject = new Injector("action", kind, rnd.nextInt(PERIOD));
        final String name = "retire-faults-" + CASES.incrementAndGet();
        final SmrPoolTesting.Mode mode = MODES.get(rnd.nextInt(MODES.size()));
        final Smr smr = mode.domain(name);
        final Map<Integer, AtomicInteger> runs = new ConcurrentHashMap<>();
        final AtomicInteger ids = new AtomicInteger();
        final SmrRetireQueue q = SmrRetireQueue.builder(name, smr).batchSize(8).build();
        // Some actions retire a child, as call_rcu callbacks do; every action runs once.
        final class Retire {
            void retire(final int depth) {
                final int id = ids.incrementAndGet();
                runs.put(id, new AtomicInteger());
                q.retire(id, x -> {
                    runs.get(x).incrementAndGet();
                    if (depth == 0 && x % 5 == 0) {
                        retire(1);
                    }
                    inject.at("action");
                });
            }
        }
        final Retire r = new Retire();
        try (Faults.LogCapture log = new Faults.LogCapture("org.smr4j.retire")) {
            final List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                final int me = t;
                threads.add(Thread.ofPlatform().name("retire-faults-" + t).start(() -> {
                    for (int i = 0; i < 2_000; i++) {
                        r.retire(0);
                        if (me == 0 && i % 97 == 0) {
                            q.flush();
                        }
                    }
                }));
            }
            for (final Thread t : threads) {
                t.join(30_000);
                assertThat(t.isAlive()).as(t.getName() + " finished").isFalse();
            }
            q.awaitAll();
            q.close();
            final SmrRetireQueue.Stats st = q.stats();
            assertThat(inject.thrown.get()).isPositive();
            assertThat(runs).allSatisfy((id, n) -> assertThat(n.get()).as("runs of action %d", id).isEqualTo(1));
            assertThat(st.retired()).isEqualTo(ids.get());
            assertThat(st.ran()).isEqualTo(ids.get());
            assertThat(st.failed()).isEqualTo(inject.thrown.get());
            assertThat(st.pending()).isZero();
            assertThat(st.batchesPending()).isZero();
            final String line = "retire queue '" + name + "': action threw";
            assertThat(log.containing("retire queue '" + name + "'")).hasSize((int) inject.thrown.get());
            assertThat(log.count(line, Level.WARNING)).isEqualTo(1);
            assertThat(log.count(line, Level.FINE)).isEqualTo(inject.thrown.get() - 1);
            System.out.printf("SmrRetireQueue %s %s: %d failures in %d actions%n", kind, mode, inject.thrown.get(), ids.get());
        }
    }
}
