package org.smr4j;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterTry;

/**
 * Stateful fuzzing of {@link SmrPool}: random sequences of every entry point, bad arguments and
 * calls in the wrong state included, against a model of what the caller holds, on every domain
 * mode, checked and unchecked, from one thread and from several at once. jqwik generates and
 * shrinks the sequences; a failure prints the shortest sequence it found and the seed
 * ({@code jqwik.database} replays it).
 *
 * <h2>The model and what is checked</h2>
 * The model is the set of objects the callers hold (got and not yet put back), by identity.
 * <ul>
 *   <li>After every step (one thread) or after the threads joined (several):
 *       {@code checkInvariants()} (every live object in exactly one place, depot counts, tags
 *       in order, headTag, live within the hard limit, the checked side table), and
 *       {@code live == held + cached}: nothing lost, nothing made up.</li>
 *   <li>At every get: the object is not held by anyone (an object handed out twice is the
 *       bug an unchecked double put causes) and it is CONSTRUCTED (the objects carry the
 *       state the hooks set; destruct refuses an object that is not CONSTRUCTED, and a hook
 *       failure fails the check).</li>
 *   <li>Bad arguments and wrong states are refused with the documented exception type, and
 *       leave the pool as it was (the next invariant check runs on it): {@code put(null)},
 *       {@code prime(-n)}, a double put at once (every configuration) and at any later
 *       point while the pool still holds the object ({@code PUT_AGAIN_LATER}, one thread: the
 *       held set, the state word and checked mode must refuse it; the last two also once the
 *       pool finalised it), a put of a foreign object (checked pools),
 *       {@code flush}/{@code drain}/{@code get} inside a read section (checked pools; unchecked
 *       pools refuse a get or put in a section only when it would advance or wait, so either
 *       outcome is accepted and then checked).</li>
 *   <li>At the end every held object is put back and the pool closed: {@code live} must come
 *       to 0 (everything finalised, fini run once each).</li>
 * </ul>
 *
 * <p>Not checked here: that an object is not handed out while a reader that could have found
 * it is inside (that needs readers that find objects through shared slots: the reuse
 * detectors of {@code SmrPoolReuseDetectorTest} and {@code SmrScaleTest}, and jcstress
 * {@code PoolHandOff}).
 *
 * <h2>Checked against injected bugs</h2>
 * Each injection was made by hand in {@code SmrPool.java}, both properties run, and the change
 * reverted (none is committed); each failed both properties on their first failing try
 * (about a second): (1) the striped fast get not taking the object out of its magazine (no
 * {@code items[n] = null; count = n}), so the same object is handed out again: "about to
 * hand out an object ... that is OUT (handed out twice)" (checked) and "object at stripe 1
 * alloc/READY is OUT" from {@code checkInvariants}; (2) the striped put not counting the
 * object it stored: "stripe 1 free has a stale slot 0"; (3) {@code tryCreate} not counting
 * {@code live}: "live 0 != created 1 - finalised 0".
 *
 * <p>The double-put oracle's negative control: {@code withoutADetectorTheHarnessCatchesTheDuplicateHandOut}
 * ({@code doublePutCheck(false)}: put(a); put(b); put(a) accepted, "handed out twice").
 *
 * <p>Runtime: {@value #TRIES} tries of up to {@value #MAX_OPS} operations (configurations
 * drawn at random: mode x detection (held set, state word, checked) x owned caches), {@value #THREADED_TRIES} tries of
 * {@value #THREADS} threads.
 */
class SmrPoolFuzzTest {
    static final int TRIES = 60;
    static final int THREADED_TRIES = 15;
    static final int MAX_OPS = 60;
    static final int THREADS = 3;
    static final int HARD_LIMIT = 48;

    /** Hook states: what the pool has done to an object last. */
    enum Life { CREATED, CONSTRUCTED, DESTRUCTED, FINALISED }

    /** A pooled object that remembers the hooks run on it. */
    static final class Obj {
        volatile Life life = Life.CREATED;
        volatile int finis;
        /** The pool's state word (Detection.STATE_WORD only). */
        int poolState;
        static final java.lang.invoke.VarHandle POOL_STATE;
        static final SmrPool.StateWord<Obj> STATE = new SmrPool.StateWord<>() {
            @Override
            public int compareAndExchange(final Obj o, final int expected, final int next) {
                return (int) POOL_STATE.compareAndExchange(o, expected, next);
            }

            @Override
            public void setRelease(final Obj o, final int value) {
                POOL_STATE.setRelease(o, value);
            }
        };

        static {
            try {
                POOL_STATE = java.lang.invoke.MethodHandles.lookup().findVarHandle(Obj.class, "poolState", int.class);
            } catch (final ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        @Override
        public String toString() {
            return "Obj@" + Integer.toHexString(System.identityHashCode(this)) + "[" + life + ", finis " + finis + "]";
        }
    }

    /** The operations. */
    enum Kind {
        GET, TRY_GET, PUT, PUT_NULL, PUT_TWICE, PUT_FOREIGN, FLUSH, RECLAIM, DRAIN, PRIME, PRIME_NEGATIVE,
        ADVANCE_POLL, GET_IN_SECTION, PUT_IN_SECTION, FLUSH_IN_SECTION, STATS,
        /** A second put, at any later point, of an object put earlier (one thread: where the pool still holds it). */
        PUT_AGAIN_LATER
    }

    /** How double puts are detected: the held set (the default), a state word, checked mode, or not at all. */
    enum Detection { HELD_SET, STATE_WORD, CHECKED, TRUSTED }

    /** One operation and its argument (which held object, how many to prime). */
    record Op(Kind kind, int arg) {
    }

    /** A pool configuration. */
    record Config(Smr.Mode mode, Detection detection, boolean owned) {
        boolean checked() {
            return detection == Detection.CHECKED;
        }

        Smr domain(final String name) {
            return switch (mode) {
                case DEFAULT -> Smr.create(name);
                case DEFERRED -> Smr.builder(name).deferred(3).build();
                case LAZY -> Smr.builder(name).lazy(Duration.ofNanos(50_000)).build();
            };
        }
    }

    private static final List<SmrPool<?>> OPEN = Collections.synchronizedList(new ArrayList<>());

    @AfterTry
    void closeLeftovers() {
        synchronized (OPEN) {
            for (final SmrPool<?> p : OPEN) {
                p.close();
            }
            OPEN.clear();
        }
    }

    @Provide
    Arbitrary<Config> configs() {
        return Combinators.combine(Arbitraries.of(Smr.Mode.class),
                Arbitraries.of(Detection.HELD_SET, Detection.STATE_WORD, Detection.CHECKED),
                Arbitraries.of(true, false)).as(Config::new);
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        return ops(MAX_OPS);
    }

    static Arbitrary<List<Op>> ops(final int max) {
        final Arbitrary<Kind> kinds = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(8, Arbitraries.just(Kind.GET)),
                net.jqwik.api.Tuple.of(3, Arbitraries.just(Kind.TRY_GET)),
                net.jqwik.api.Tuple.of(10, Arbitraries.just(Kind.PUT)),
                net.jqwik.api.Tuple.of(2, Arbitraries.just(Kind.PUT_AGAIN_LATER)),
                net.jqwik.api.Tuple.of(1, Arbitraries.of(Kind.PUT_NULL, Kind.PUT_TWICE, Kind.PUT_FOREIGN,
                        Kind.FLUSH, Kind.RECLAIM, Kind.DRAIN, Kind.PRIME, Kind.PRIME_NEGATIVE, Kind.ADVANCE_POLL,
                        Kind.GET_IN_SECTION, Kind.PUT_IN_SECTION, Kind.FLUSH_IN_SECTION, Kind.STATS)));
        final Arbitrary<Op> op = Combinators.combine(kinds, Arbitraries.integers().between(0, 40)).as(Op::new);
        return op.list().ofMaxSize(max);
    }

    /** The pool under test, its holdings and the checks. */
    static final class Harness {
        final Config cfg;
        final SmrPool<Obj> pool;
        final Smr smr;
        /** Objects got and not put back, by identity (Obj keeps Object's equals). */
        final Set<Obj> held = ConcurrentHashMap.newKeySet();
        /** Several threads use the pool: checks that read the pool's counters mid-run are skipped. */
        final boolean threaded;
        /** Objects put so far (one thread only), candidates for PUT_AGAIN_LATER. */
        final List<Obj> given = new ArrayList<>();
        /** Double puts refused so far. */
        int refusedDoublePuts;

        @SuppressWarnings("NonAtomicVolatileUpdate") // hooks run for an object on one thread at a time (its holder)
        Harness(final Config cfg, final String name, final boolean threaded) {
            this.cfg = cfg;
            this.threaded = threaded;
            this.smr = cfg.domain(name);
            final SmrPool.Builder<Obj> b = SmrPool.builder(name, Obj::new);
            switch (cfg.detection()) {
                case STATE_WORD -> b.stateWord(Obj.STATE);
                case TRUSTED -> b.doublePutCheck(false);
                default -> { }
            }
            this.pool = b
                    .smr(smr)
                    .magazineSize(4)
                    .hardLimit(HARD_LIMIT)
                    .limitPolicy(SmrPool.LimitPolicy.FAIL)
                    .trimInterval(Duration.ofMillis(20))
                    .checked(cfg.checked())
                    .ownedCaches(cfg.owned() ? SmrPool.OWNED_CACHES_DEFAULT : 0)
                    .construct(o -> o.life = Life.CONSTRUCTED)
                    .destruct(o -> {
                        if (o.life != Life.CONSTRUCTED) {
                            throw new AssertionError("destruct of an object in state " + o.life);
                        }
                        o.life = Life.DESTRUCTED;
                    })
                    .fini(o -> {
                        o.life = Life.FINALISED;
                        o.finis++;
                    })
                    .jmx(false)
                    .build();
            OPEN.add(pool);
        }

        /** Runs one operation from the calling thread; {@code mine} is that thread's holdings. */
        void apply(final Op op, final List<Obj> mine) {
            switch (op.kind()) {
                case GET -> {
                    try {
                        took(pool.get(), mine);
                    } catch (final SmrPoolLimitException e) {
                        expect(threaded || pool.stats().live() == HARD_LIMIT, "limit exception below the limit: "
                                + pool.stats(), e);
                    }
                }
                case TRY_GET -> {
                    final Obj o = pool.tryGet();
                    if (o != null) {
                        took(o, mine);
                    }
                }
                case PUT -> {
                    if (!mine.isEmpty()) {
                        final Obj o = mine.remove(op.arg() % mine.size());
                        give(o);
                    }
                }
                case PUT_NULL -> expectThrows(NullPointerException.class, () -> pool.put(null), "put(null)");
                case PUT_TWICE -> {
                    if (cfg.detection() != Detection.TRUSTED && !mine.isEmpty()) {
                        final Obj o = mine.remove(op.arg() % mine.size());
                        give(o);
                        expectThrows(IllegalStateException.class, () -> pool.put(o), "double put, " + cfg.detection());
                        refusedDoublePuts++;
                    }
                }
                case PUT_AGAIN_LATER -> {
                    // One thread: the object's whereabouts are known. If it is handed out, a
                    // put is a first put as far as anyone can tell (not a double put); if the
                    // pool finalised it, only the state word and checked mode refuse it.
                    if (!threaded && !given.isEmpty()) {
                        final Obj o = given.get(op.arg() % given.size());
                        final boolean inPool = !held.contains(o) && o.life != Life.FINALISED;
                        final boolean refusable = inPool || (!held.contains(o)
                                && (cfg.detection() == Detection.STATE_WORD || cfg.checked()));
                        if (refusable && cfg.detection() != Detection.TRUSTED) {
                            expectThrows(IllegalStateException.class, () -> pool.put(o),
                                    "put(a), ..., put(a), " + cfg.detection() + ", " + o);
                            refusedDoublePuts++;
                        } else if (inPool) {
                            pool.put(o); // TRUSTED: accepted, the defect; the next gets must catch it
                        }
                    }
                }
                case PUT_FOREIGN -> {
                    if (cfg.checked()) {
                        expectThrows(IllegalStateException.class, () -> pool.put(new Obj()), "put of a foreign object");
                    }
                }
                case FLUSH -> pool.flush();
                case RECLAIM -> pool.reclaim();
                case DRAIN -> pool.drain();
                case PRIME -> {
                    final long before = pool.stats().live();
                    final int made = pool.prime(op.arg() % 6);
                    expect(made >= 0 && made <= op.arg() % 6, "prime made " + made, null);
                    expect(pool.stats().live() >= before, "live went down by priming", null);
                }
                case PRIME_NEGATIVE -> expectThrows(IllegalArgumentException.class, () -> pool.prime(-1 - op.arg()),
                        "prime(negative)");
                case ADVANCE_POLL -> {
                    final long goal = smr.advance();
                    smr.poll(goal);
                }
                case GET_IN_SECTION -> inSection(() -> {
                    final Obj o;
                    try {
                        o = pool.get();
                    } catch (final IllegalStateException e) {
                        return; // refused: checked always, unchecked when it would advance or wait
                    } catch (final SmrPoolLimitException e) {
                        return;
                    }
                    expect(!cfg.checked(), "a checked pool handed out inside a section", null);
                    took(o, mine);
                });
                case PUT_IN_SECTION -> {
                    if (!mine.isEmpty()) {
                        final Obj o = mine.get(op.arg() % mine.size());
                        inSection(() -> {
                            held.remove(o); // before the put, as give() does
                            try {
                                pool.put(o);
                            } catch (final IllegalStateException e) {
                                held.add(o); // refused; still ours
                                return;
                            }
                            expect(!cfg.checked(), "a checked pool accepted a put inside a section", null);
                            mine.remove(o);
                        });
                    }
                }
                case FLUSH_IN_SECTION -> inSection(() ->
                        expectThrows(IllegalStateException.class, pool::flush, "flush() inside a section"));
                case STATS -> {
                    final SmrPool.Stats s = pool.stats();
                    expect(s.live() >= 0 && s.cached() >= 0 && s.live() <= HARD_LIMIT,
                            "stats in range: " + s, null);
                }
            }
        }

        private void inSection(final Runnable r) {
            smr.enter();
            try {
                r.run();
            } finally {
                smr.exit();
            }
        }

        private void took(final Obj o, final List<Obj> mine) {
            expect(o != null, "get returned null", null);
            expect(held.add(o), "handed out twice: " + o, null);
            expect(o.life == Life.CONSTRUCTED, "handed out in state " + o.life, null);
            mine.add(o);
        }

        private void give(final Obj o) {
            held.remove(o); // before the put: once put, another thread may get it at once
            pool.put(o);
            if (!threaded) {
                given.add(o);
            }
        }

        /** Quiescent checks: no other thread uses the pool. */
        void check() {
            pool.checkInvariants();
            final SmrPool.Stats s = pool.stats();
            expect(s.live() == held.size() + s.cached(), "live " + s.live() + " = held " + held.size() + " + cached "
                    + s.cached() + ": " + s, null);
            expect(s.hookFailures() == 0, "a hook failed (the destructor's state check?): " + s, null);
            expect(s.live() >= 0 && s.finalised() >= 0 && s.cached() >= 0, "statistics never negative: " + s, null);
            DomainValidation.check(smr);
        }

        /** Puts everything back, closes, and checks that everything was finalised once. */
        void finish(final List<List<Obj>> holdings) {
            final List<Obj> all = new ArrayList<>();
            for (final List<Obj> mine : holdings) {
                all.addAll(mine);
                for (final Obj o : mine) {
                    give(o);
                }
                mine.clear();
            }
            check();
            pool.close();
            final SmrPool.Stats s = pool.stats();
            expect(s.live() == 0, "live after close: " + s, null);
            for (final Obj o : all) {
                expect(o.life == Life.FINALISED && o.finis == 1, "finalised once: " + o.life + ", " + o.finis, null);
            }
        }
    }

    static void expect(final boolean ok, final String what, final Throwable cause) {
        if (!ok) {
            throw new AssertionError(what, cause);
        }
    }

    static void expectThrows(final Class<? extends Throwable> type, final Runnable r, final String what) {
        try {
            r.run();
        } catch (final Throwable t) {
            if (type.isInstance(t)) {
                expect(t.getMessage() != null && !t.getMessage().isBlank(), what + ": a message", t);
                return;
            }
            throw new AssertionError(what + ": expected " + type.getSimpleName() + ", got " + t, t);
        }
        throw new AssertionError(what + ": expected " + type.getSimpleName() + ", nothing thrown");
    }

    /** One thread, the invariants after every step. */
    @Property(tries = TRIES, afterFailure = net.jqwik.api.AfterFailureMode.SAMPLE_FIRST)
    void oneThread(@ForAll("configs") final Config cfg, @ForAll("ops") final List<Op> ops) {
        final Harness h = new Harness(cfg, "fuzz-" + cfg.mode() + (cfg.checked() ? "-checked" : ""), false);
        final List<Obj> mine = new ArrayList<>();
        for (final Op op : ops) {
            h.apply(op, mine);
            h.check();
        }
        h.finish(List.of(mine));
    }

    /**
     * Negative control of the double-put oracle: with {@code doublePutCheck(false)} (no
     * detector) put(a); put(b); put(a) is accepted and the harness catches the duplicate, so
     * the properties above can fail on the defect the detectors prevent.
     */
    @net.jqwik.api.Example
    void withoutADetectorTheHarnessCatchesTheDuplicateHandOut() {
        final Harness h = new Harness(new Config(Smr.Mode.DEFAULT, Detection.TRUSTED, true), "fuzz-control", false);
        final List<Obj> mine = new ArrayList<>();
        final List<Op> ops = List.of(new Op(Kind.GET, 0), new Op(Kind.GET, 0), new Op(Kind.PUT, 0),
                new Op(Kind.PUT, 0), new Op(Kind.PUT_AGAIN_LATER, 0), new Op(Kind.FLUSH, 0));
        final Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> {
            for (final Op op : ops) {
                h.apply(op, mine);
            }
            h.smr.synchronize(); // the flushed batch (a, b, a) has expired
            for (int i = 0; i < 8; i++) {
                h.apply(new Op(Kind.GET, 0), mine);
            }
            h.check();
        });
        // The duplicate a is caught: its second destruct finds it DESTRUCTED (the pool counts
        // the hook failure and drops that copy, so live no longer equals held + cached: the
        // first check to fail, measured), or, had it got through, took()'s "handed out twice".
        org.assertj.core.api.Assertions.assertThat(t).isInstanceOf(AssertionError.class)
                .message().containsAnyOf("handed out twice", "a hook failed", "hookFailures=1");
        h.pool.close();
    }

    /**
     * Several threads at once, each with its own sequence; the shared holdings catch an
     * object handed to two threads; the invariants after they joined.
     */
    @Property(tries = THREADED_TRIES, afterFailure = net.jqwik.api.AfterFailureMode.SAMPLE_FIRST)
    void severalThreads(@ForAll("configs") final Config cfg,
                        @ForAll("threadOps") final List<List<Op>> perThread) throws Exception {
        final Harness h = new Harness(cfg, "fuzz-mt-" + cfg.mode() + (cfg.checked() ? "-checked" : ""), true);
        final CyclicBarrier start = new CyclicBarrier(perThread.size());
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final List<List<Obj>> holdings = new ArrayList<>();
        final List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < perThread.size(); t++) {
            final List<Op> ops = perThread.get(t);
            final List<Obj> mine = new ArrayList<>();
            holdings.add(mine);
            final Thread.Builder b = t % 2 == 0 ? Thread.ofPlatform() : Thread.ofVirtual();
            threads.add(b.name("fuzz-" + t).start(() -> {
                try {
                    start.await(10, TimeUnit.SECONDS);
                    for (final Op op : ops) {
                        h.apply(op, mine);
                    }
                } catch (final Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (final Thread t : threads) {
            t.join(30_000);
            expect(!t.isAlive(), "thread " + t.getName() + " finished", null);
        }
        if (failure.get() != null) {
            throw new AssertionError("a fuzz thread failed", failure.get());
        }
        h.check();
        h.finish(holdings);
    }

    @Provide
    Arbitrary<List<List<Op>>> threadOps() {
        return ops(MAX_OPS).list().ofSize(THREADS);
    }
}
