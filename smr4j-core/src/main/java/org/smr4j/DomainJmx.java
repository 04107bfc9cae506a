package org.smr4j;

import java.lang.ref.WeakReference;
import java.util.Map;

/**
 * The MBeans of {@link Smr} domains, {@link Pserialize} instances and {@link PserializePool}s
 * ({@link SmrPoolJmx} has the SMR pool's): each holds its structure through a
 * {@link WeakReference} (see {@link Mbeans}) and reads its counters afresh per attribute.
 */
final class DomainJmx {
    private DomainJmx() {
    }

    private static final Map<String, String> SMR = Map.ofEntries(
                Map.entry("Name", "The domain's name."),
                Map.entry("Mode", "The domain's mode: DEFAULT, DEFERRED or LAZY."),
                Map.entry("FenceFreeReaders", "Whether readers publish without a store-load fence (lazy mode with a working "
                        + "membarrier(2))."),
                Map.entry("Closed", "Whether Smr.close() was called."),
                Map.entry("Advances", "The number of advance() calls (debug.smr.advance)."),
                Map.entry("AdvanceWaits", "The number of advances that waited for readers lagging by half the sequence "
                        + "space (only in the wrap test configuration)."),
                Map.entry("Polls", "The number of poll() and waitFor() calls."),
                Map.entry("Scans", "The number of polls that scanned every reader record."),
                Map.entry("FailedPolls", "The number of polls that found the goal not reached."),
                Map.entry("Waits", "The number of waitFor() calls that had to block."),
                Map.entry("Barriers", "The number of process-wide barriers (membarrier(2)) issued by lazy-mode scans."),
                Map.entry("Readers", "The number of reader records registered (one per thread that entered)."),
                Map.entry("WriteSequence", "The write sequence now."),
                Map.entry("ReadSequence", "The read sequence now: every goal at or before it is reached."),
                Map.entry("StepsBehind", "How many advances of the write sequence the read sequence lags behind (as of the last scan)."),
                Map.entry("OldestReader", "The reader that holds the oldest sequence behind the write sequence, found by a "
                        + "scan, as <thread>: sequence <s>, <n> steps behind, or none."));

    private static final Map<String, String> PSERIALIZE = Map.ofEntries(
                Map.entry("Name", "The instance's name."),
                Map.entry("FenceFreeReaders", "Whether readers publish without a store-load fence (where membarrier(2) works)."),
                Map.entry("Closed", "Whether Pserialize.close() was called."),
                Map.entry("Performs", "The number of perform() calls."),
                Map.entry("Barriers", "The number of barrier rounds run (each scans the readers once)."),
                Map.entry("Membarriers", "The number of process-wide barriers (membarrier(2)) issued."),
                Map.entry("Waits", "The number of rounds that found a reader inside and waited for it."),
                Map.entry("Coalesced", "The number of performs served by another caller's round."),
                Map.entry("DeadSkipped", "The number of rounds that met a thread that had died inside a section."),
                Map.entry("Readers", "The number of reader records registered."),
                Map.entry("ReadersInside", "The number of readers inside a section now, found by a scan."));

    private static final Map<String, String> PSERIALIZE_POOL = Map.ofEntries(
                Map.entry("Name", "The pool's name."),
                Map.entry("Pserialize", "The name of the Pserialize instance whose readers the pool protects."),
                Map.entry("Closed", "Whether the pool is closed."),
                Map.entry("Gets", "The number of get() and tryGet() calls."),
                Map.entry("Hits", "The number of gets served from the cache."),
                Map.entry("Puts", "The number of objects put back."),
                Map.entry("Created", "The number of objects created by the factory."),
                Map.entry("Finalised", "The number of objects finalised (fini run) and let go."),
                Map.entry("Batches", "The number of finalisation batches, each behind one perform()."),
                Map.entry("LimitWaits", "The number of gets that met the hard limit."),
                Map.entry("DeferredShrinks", "The number of shrinks deferred because the caller was inside a section."),
                Map.entry("Allocated", "The number of objects alive: handed out or cached."),
                Map.entry("Cached", "The number of objects cached."),
                Map.entry("HookFailures", "The number of fini hooks that threw."),
                Map.entry("HardLimit", "The hard limit in objects, or unlimited."),
                Map.entry("Hiwat", "The high-water mark in objects (the depot shrinks beyond it), or unlimited."));

    /** The MBean of {@code smr}. */
    static Object smr(final Smr smr) {
        return new Mbeans.Described<>(new SmrBean(smr), SmrMXBean.class,
                "SMR domain '" + smr.name() + "' (" + smr.mode() + "): the counters of Smr.stats(), FreeBSD's debug.smr",
                SMR);
    }

    /** The MBean of {@code p}. */
    static Object pserialize(final Pserialize p) {
        return new Mbeans.Described<>(new PserializeBean(p), PserializeMXBean.class,
                "pserialize instance '" + p.name() + "': the counters of Pserialize.stats()", PSERIALIZE);
    }

    /** The MBean of {@code pool}. */
    static Object pserializePool(final PserializePool<?> pool) {
        return new Mbeans.Described<>(new PserializePoolBean(pool), PserializePoolMXBean.class,
                "pserialize pool '" + pool.name() + "': the counters of PserializePool.stats()", PSERIALIZE_POOL);
    }

    private static final class SmrBean implements SmrMXBean {
        private final WeakReference<Smr> ref;
        private final String name;

        SmrBean(final Smr smr) {
            this.ref = new WeakReference<>(smr);
            this.name = smr.name();
        }

        private Smr smr() {
            return Mbeans.get(ref, "smr domain '" + name + "'");
        }

        private Smr.Stats stats() {
            return smr().stats();
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public String getMode() {
            return smr().mode().name();
        }

        @Override
        public boolean getFenceFreeReaders() {
            return smr().fenceFreeReaders();
        }

        @Override
        public boolean getClosed() {
            return smr().isClosed();
        }

        @Override
        public long getAdvances() {
            return stats().advances();
        }

        @Override
        public long getAdvanceWaits() {
            return stats().advanceWaits();
        }

        @Override
        public long getPolls() {
            return stats().polls();
        }

        @Override
        public long getScans() {
            return stats().scans();
        }

        @Override
        public long getFailedPolls() {
            return stats().failedPolls();
        }

        @Override
        public long getWaits() {
            return stats().waits();
        }

        @Override
        public long getBarriers() {
            return stats().barriers();
        }

        @Override
        public int getReaders() {
            return stats().readers();
        }

        @Override
        public long getWriteSequence() {
            return stats().writeSequence();
        }

        @Override
        public long getReadSequence() {
            return stats().readSequence();
        }

        @Override
        public long getStepsBehind() {
            final Smr smr = smr();
            final Smr.Stats s = smr.stats();
            return SmrSeq.delta(s.writeSequence(), s.readSequence()) / smr.increment();
        }

        @Override
        public String getOldestReader() {
            final Smr.Oldest o = smr().oldestReader();
            return o == null ? "none"
                    : o.owner() + ": sequence " + o.sequence() + ", " + o.stepsBehind() + " steps behind";
        }
    }

    private static final class PserializeBean implements PserializeMXBean {
        private final WeakReference<Pserialize> ref;
        private final String name;

        PserializeBean(final Pserialize p) {
            this.ref = new WeakReference<>(p);
            this.name = p.name();
        }

        private Pserialize p() {
            return Mbeans.get(ref, "pserialize '" + name + "'");
        }

        private Pserialize.Stats stats() {
            return p().stats();
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public boolean getFenceFreeReaders() {
            return p().fenceFreeReaders();
        }

        @Override
        public boolean getClosed() {
            return p().isClosed();
        }

        @Override
        public long getPerforms() {
            return stats().performs();
        }

        @Override
        public long getBarriers() {
            return stats().barriers();
        }

        @Override
        public long getMembarriers() {
            return stats().membarriers();
        }

        @Override
        public long getWaits() {
            return stats().waits();
        }

        @Override
        public long getCoalesced() {
            return stats().coalesced();
        }

        @Override
        public long getDeadSkipped() {
            return stats().deadSkipped();
        }

        @Override
        public int getReaders() {
            return stats().readers();
        }

        @Override
        public int getReadersInside() {
            return p().readersInside();
        }
    }

    private static final class PserializePoolBean implements PserializePoolMXBean {
        private final WeakReference<PserializePool<?>> ref;
        private final String name;

        PserializePoolBean(final PserializePool<?> pool) {
            this.ref = new WeakReference<>(pool);
            this.name = pool.name();
        }

        private PserializePool<?> pool() {
            return Mbeans.get(ref, "pool '" + name + "'");
        }

        private PserializePool.Stats stats() {
            return pool().stats();
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public String getPserialize() {
            return pool().pserialize().name();
        }

        @Override
        public boolean getClosed() {
            return pool().isClosed();
        }

        @Override
        public long getGets() {
            return stats().gets();
        }

        @Override
        public long getHits() {
            return stats().hits();
        }

        @Override
        public long getPuts() {
            return stats().puts();
        }

        @Override
        public long getCreated() {
            return stats().created();
        }

        @Override
        public long getFinalised() {
            return stats().finalised();
        }

        @Override
        public long getBatches() {
            return stats().batches();
        }

        @Override
        public long getLimitWaits() {
            return stats().limitWaits();
        }

        @Override
        public long getDeferredShrinks() {
            return stats().deferredShrinks();
        }

        @Override
        public long getAllocated() {
            return stats().allocated();
        }

        @Override
        public long getCached() {
            return stats().cached();
        }

        @Override
        public long getHookFailures() {
            return stats().hookFailures();
        }

        @Override
        public String getHardLimit() {
            return Mbeans.limit(pool().hardLimitValue(), PserializePool.HARD_LIMIT_DEFAULT);
        }

        @Override
        public String getHiwat() {
            return Mbeans.limit(pool().hiwatValue(), PserializePool.HIWAT_DEFAULT);
        }
    }
}
