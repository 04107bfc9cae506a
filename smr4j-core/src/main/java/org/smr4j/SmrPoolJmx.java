package org.smr4j;

import java.lang.management.ManagementFactory;
import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * The JMX face of an {@link SmrPool}: its registration on the platform MBean server and the
 * {@link SmrPoolMXBean} it registers, whose attributes read the pool's counters afresh (the
 * columns {@code vmstat -m} shows for a zone). The pool's JFR events are in
 * {@link SmrPoolEvents}.
 */
final class SmrPoolJmx {
    /*
     * Registration is the last step of building a pool, so that a build that fails leaves no
     * MBean behind (issue 13.3); unregistration is the last step of close(). The name is
     * org.smr4j:type=SmrPool,name="<name>", with ,instance=<n> appended while another pool of
     * the same name is registered. A failure to register is logged and the pool works without
     * an MBean (mbeanName() then returns null).
     */

    private static final System.Logger LOG = System.getLogger("org.smr4j.pool");

    private SmrPoolJmx() {
    }

    /** Registers {@code pool}'s MBean; returns its name, or null if registration failed. */
    static ObjectName register(final SmrPool<?> pool, final SmrPoolDepot<?> depot) {
        final String name = pool.name();
        final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        final String base = "org.smr4j:type=SmrPool,name=" + ObjectName.quote(name);
        try {
            for (int i = 0; ; i++) {
                final ObjectName on = new ObjectName(i == 0 ? base : base + ",instance=" + i);
                if (!server.isRegistered(on)) {
                    try {
                        server.registerMBean(new MBean(pool, depot), on);
                        return on;
                    } catch (final InstanceAlreadyExistsException raced) {
                        // another pool of the same name took it meanwhile; try the next
                    }
                }
            }
        } catch (final JMException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "pool '" + name + "': JMX registration failed", e);
            return null;
        }
    }

    /** Unregisters the MBean named {@code on}, if not null. */
    static void unregister(final String pool, final ObjectName on) {
        if (on != null) {
            try {
                ManagementFactory.getPlatformMBeanServer().unregisterMBean(on);
            } catch (final JMException e) {
                LOG.log(System.Logger.Level.DEBUG, "pool '" + pool + "': MBean already gone", e);
            }
        }
    }

    /** The MBean: each attribute takes a fresh snapshot. Holds the pool strongly until close. */
    private static final class MBean implements SmrPoolMXBean {
        private final SmrPool<?> pool;
        private final SmrPoolDepot<?> depot;

        MBean(final SmrPool<?> pool, final SmrPoolDepot<?> depot) {
            this.pool = pool;
            this.depot = depot;
        }

        @Override
        public String getName() {
            return pool.name();
        }

        @Override
        public long getRequests() {
            return pool.stats().requests();
        }

        @Override
        public long getPuts() {
            return pool.stats().puts();
        }

        @Override
        public long getFailures() {
            return pool.limitFailures();
        }

        @Override
        public long getCreated() {
            return depot.created();
        }

        @Override
        public long getFinalised() {
            return depot.finalised();
        }

        @Override
        public long getLive() {
            return depot.live();
        }

        @Override
        public long getCached() {
            return pool.stats().cached();
        }

        @Override
        public int getBatchesPending() {
            return pool.stats().batchesPending();
        }

        @Override
        public long getObjectsPending() {
            return pool.stats().objectsPending();
        }

        @Override
        public double getOldestPendingAgeMillis() {
            return pool.stats().oldestPendingAge().toNanos() / 1e6;
        }

        @Override
        public long getWaits() {
            return depot.waits();
        }

        @Override
        public long getHardLimit() {
            return pool.hardLimit();
        }

        @Override
        public int getOwnedCaches() {
            return pool.stats().ownedCaches();
        }
    }
}
