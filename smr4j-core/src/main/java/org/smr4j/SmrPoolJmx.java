package org.smr4j;

import java.lang.ref.WeakReference;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The JMX face of an {@link SmrPool}: the {@link SmrPoolMXBean} it registers through
 * {@link Mbeans}, whose attributes read the pool's counters afresh (the columns
 * {@code vmstat -m} shows for a zone), each with a description. The pool's JFR events are in
 * {@link SmrPoolEvents}.
 */
final class SmrPoolJmx {
    /*
     * Registration is the last step of building a pool, so that a build that fails leaves no
     * MBean behind (issue 13.3); unregistration is part of close(), or happens once the pool
     * is unreachable (Mbeans). The name is org.smr4j:type=SmrPool,name=<name>, with
     * ,instance=<n> appended while another pool of the same name is registered. A failure to
     * register is logged and the pool works without an MBean (mbeanName() then returns null).
     * The MBean holds the pool weakly; everything it reads goes through stats().
     */

    private static final Map<String, String> DESCRIPTIONS = Map.ofEntries(
            Map.entry("Name", "The pool's name."),
            Map.entry("Requests", "The number of get() and tryGet() calls."),
            Map.entry("Puts", "The number of put() calls accepted."),
            Map.entry("Failures", "The number of requests refused at the hard limit."),
            Map.entry("Created", "The number of objects created by the factory."),
            Map.entry("Finalised", "The number of objects finalised (fini run, released to the garbage collector)."),
            Map.entry("Live", "The number of objects the pool owns or has handed out: created minus finalised."),
            Map.entry("Cached", "The number of objects cached in the pool, in every state (ready, pending, queued)."),
            Map.entry("BatchesPending", "The number of tagged batches waiting for their goal (readers still inside)."),
            Map.entry("ObjectsPending", "The number of objects in tagged batches waiting for their goal."),
            Map.entry("OldestPendingAgeMillis", "How long the oldest pending batch has waited, in milliseconds; 0 when none."),
            Map.entry("Waits", "The number of blocking waits on a goal at the hard limit."),
            Map.entry("HardLimit", "The hard limit in objects, or unlimited."),
            Map.entry("OwnedCaches", "The number of platform threads that have a cache of their own in this pool."),
            Map.entry("Domain", "The name of the SMR domain whose readers the pool's objects are protected from."),
            Map.entry("Closed", "Whether the pool is closed."));

    private SmrPoolJmx() {
    }

    /** Registers {@code pool}'s MBean; returns the registration, or null if it failed. */
    static Mbeans.@Nullable Registration register(final SmrPool<?> pool) {
        return Mbeans.register("SmrPool", pool.name(), new Mbeans.Described<>(new MBean(pool), SmrPoolMXBean.class,
                "SMR pool '" + pool.name() + "' over domain '" + pool.smr().name()
                        + "': the counters of SmrPool.stats(), the columns vmstat -m shows for a UMA zone",
                DESCRIPTIONS), pool);
    }

    /** The MBean: each attribute takes a fresh snapshot. Holds the pool weakly. */
    private static final class MBean implements SmrPoolMXBean {
        private final WeakReference<SmrPool<?>> ref;
        private final String name;

        MBean(final SmrPool<?> pool) {
            this.ref = new WeakReference<>(pool);
            this.name = pool.name();
        }

        private SmrPool<?> pool() {
            return Mbeans.get(ref, "pool '" + name + "'");
        }

        private SmrPool.Stats stats() {
            return pool().stats();
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public long getRequests() {
            return stats().requests();
        }

        @Override
        public long getPuts() {
            return stats().puts();
        }

        @Override
        public long getFailures() {
            return stats().failures();
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
        public long getLive() {
            return stats().live();
        }

        @Override
        public long getCached() {
            return stats().cached();
        }

        @Override
        public int getBatchesPending() {
            return stats().batchesPending();
        }

        @Override
        public long getObjectsPending() {
            return stats().objectsPending();
        }

        @Override
        public double getOldestPendingAgeMillis() {
            return stats().oldestPendingAge().toNanos() / 1e6;
        }

        @Override
        public long getWaits() {
            return stats().waits();
        }

        @Override
        public String getHardLimit() {
            return Mbeans.limit(pool().hardLimit(), Long.MAX_VALUE);
        }

        @Override
        public int getOwnedCaches() {
            return stats().ownedCaches();
        }

        @Override
        public String getDomain() {
            return pool().smr().name();
        }

        @Override
        public boolean getClosed() {
            return pool().isClosed();
        }
    }
}
