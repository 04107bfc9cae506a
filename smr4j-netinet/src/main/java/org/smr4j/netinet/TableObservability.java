package org.smr4j.netinet;

import java.lang.management.ManagementFactory;
import java.lang.ref.Cleaner;
import java.lang.ref.WeakReference;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.StandardMBean;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Period;
import jdk.jfr.StackTrace;
import org.jspecify.annotations.Nullable;

/**
 * A connection table's MBean ({@link ConnectionTableMXBean}) and its periodic JFR statistics
 * ({@code org.smr4j.ConnectionTableStatistics}), with the lifetime core gives its domains and
 * pools: registered when the table is built, removed on close or once the table is unreachable.
 */
final class TableObservability {
    /*
     * Overview
     * --------
     * The same rules as core's Mbeans and Periodic (package-private there, so repeated here):
     *  - name org.smr4j:type=ConnectionTable,name=<name> (quoted only when it must be), and ,instance=<n>
     *    (n counts up per name, never reused) while a table of the same name is registered; never refused.
     *  - the MBean and the statistics set hold the table weakly; a Cleaner unregisters both
     *    once it is unreachable, close() does it at once. A failed registration is logged.
     *  - one JFR periodic hook for every table, added by a FlightRecorderListener when the
     *    recorder is initialised: no JFR event class is loaded while no recording exists.
     */

    private static final System.Logger LOG = System.getLogger("org.smr4j.netinet");
    private static final Cleaner CLEANER = Cleaner.create();
    private static final Set<WeakReference<AbstractConnectionTable>> LIVE = ConcurrentHashMap.newKeySet();
    private static final AtomicBoolean LISTENING = new AtomicBoolean();
    private static final AtomicBoolean HOOKED = new AtomicBoolean();

    private static final Map<String, String> DESCRIPTIONS = Map.ofEntries(
            Map.entry("Name", "The table's name (its pool and domain carry the same name)."),
            Map.entry("Strategy", "The table's strategy: SMR_DEFAULT, SMR_LAZY, PSERIALIZE, RW_LOCK or CONCURRENT_HASH_MAP."),
            Map.entry("Closed", "Whether the table is closed."),
            Map.entry("Size", "The number of connections and listeners present."),
            Map.entry("Buckets", "The number of hash buckets of the connection hash; -1 where the strategy hides them."),
            Map.entry("Inserts", "The number of successful inserts."),
            Map.entry("Removes", "The number of successful removes."),
            Map.entry("Rehashes", "The number of successful rehashes (a connection's key changed)."),
            Map.entry("Resizes", "The number of times the table grew."),
            Map.entry("LockedFallbacks", "The number of lookups that fell back to the locked lookup."),
            Map.entry("ReferencePaths", "The number of lookups that found the block's lock busy and took a reference."),
            Map.entry("MissRetries", "The number of lockless misses confirmed again under the hash lock (pserialize)."),
            Map.entry("BlocksCreated", "The number of control blocks ever created."),
            Map.entry("BlocksLive", "The number of control blocks that exist now (present, pending or cached); never above"
                    + " MaxConnections + PendingLimit; -1 where the garbage collector owns them."),
            Map.entry("BlocksPending", "The number of removed blocks not yet reusable (SMR: waiting for the grace period); "
                    + "-1 where the garbage collector owns them and the count is unknown."),
            Map.entry("MaxConnections", "The connections the table is sized for (Builder.limits), or unlimited."),
            Map.entry("PendingLimit", "The blocks the pool may hold beyond MaxConnections, or unlimited."));

    private TableObservability() {
    }

    /** A table's registrations; {@link #close()} ends them (once). */
    static final class Registration {
        private final @Nullable String mbeanName;
        private final Cleaner.Cleanable cleanable;

        private Registration(final @Nullable String mbeanName, final Cleaner.Cleanable cleanable) {
            this.mbeanName = mbeanName;
            this.cleanable = cleanable;
        }

        @Nullable String mbeanName() {
            return mbeanName;
        }

        void close() {
            cleanable.clean();
        }
    }

    /** The Cleaner's action: holds the name and the set entry, never the table. */
    private record Unregister(@Nullable ObjectName name, WeakReference<AbstractConnectionTable> entry) implements Runnable {
        @Override
        public void run() {
            LIVE.remove(entry);
            if (name != null) {
                try {
                    ManagementFactory.getPlatformMBeanServer().unregisterMBean(name);
                } catch (final JMException e) {
                    LOG.log(System.Logger.Level.DEBUG, name + ": MBean already gone", e);
                }
            }
        }
    }

    /**
     * The {@code name} key's value for {@code name}: the name itself, as JMX tools show the
     * JDK's own names ({@code java.lang:type=MemoryPool,name=Metaspace}), unless it holds a
     * character an unquoted value cannot ({@code , = : " * ?}, a backslash or a line break);
     * then {@code ObjectName.quote(name)}.
     */
    static String nameValue(final String name) {
        for (int i = 0; i < name.length(); i++) {
            final char c = name.charAt(i);
            if (c == ',' || c == '=' || c == ':' || c == '"' || c == '*' || c == '?' || c == '\\' || c == '\n') {
                return ObjectName.quote(name);
            }
        }
        return name;
    }

    /** Registers {@code table}'s MBean and adds it to the periodic statistics. */
    static Registration register(final AbstractConnectionTable table) {
        final WeakReference<AbstractConnectionTable> entry = new WeakReference<>(table);
        listen();
        LIVE.add(entry);
        final ObjectName name = registerMBean(table);
        return new Registration(name == null ? null : name.getCanonicalName(),
                CLEANER.register(table, new Unregister(name, entry)));
    }


    /**
     * Per base name, the next instance number to try once the plain name is taken. Counting
     * up keeps a registration O(1) however many structures of one name are registered; the
     * linear probe from 1 it replaces was quadratic in them (Lincheck tests that build a
     * table per invocation and leave it to the Cleaner spent most of their time probing).
     * Numbers are not reused; only names registered twice get an entry.
     */
    private static final ConcurrentHashMap<String, AtomicInteger> NEXT_INSTANCE = new ConcurrentHashMap<>();

    private static int nextInstance(final String base) {
        return NEXT_INSTANCE.computeIfAbsent(base, b -> new AtomicInteger(1))
                .getAndUpdate(n -> n == Integer.MAX_VALUE ? 1 : n + 1);
    }

    private static @Nullable ObjectName registerMBean(final AbstractConnectionTable table) {
        final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        final String base = "org.smr4j:type=ConnectionTable,name=" + nameValue(table.name);
        try {
            final Object mbean = new Described(new Bean(table), "connection table '" + table.name + "' ("
                    + table.strategy + "): the counters of ConnectionTable.stats()");
            for (int i = 0; ; i = nextInstance(base)) {
                final ObjectName on = new ObjectName(i == 0 ? base : base + ",instance=" + i);
                if (!server.isRegistered(on)) {
                    try {
                        server.registerMBean(mbean, on);
                        return on;
                    } catch (final InstanceAlreadyExistsException raced) {
                        // another table of the same name took it meanwhile; try the next
                    }
                }
            }
        } catch (final JMException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "connection table '" + table.name + "': JMX registration failed", e);
            return null;
        }
    }

    private static void listen() {
        if (!LISTENING.get() && LISTENING.compareAndSet(false, true)) {
            FlightRecorder.addListener(new FlightRecorderListener() {
                @Override
                public void recorderInitialized(final FlightRecorder recorder) {
                    if (HOOKED.compareAndSet(false, true)) {
                        FlightRecorder.addPeriodicEvent(Statistics.class, TableObservability::emitAll);
                    }
                }
            });
        }
    }

    private static void emitAll() {
        for (final WeakReference<AbstractConnectionTable> ref : LIVE) {
            final AbstractConnectionTable t = ref.get();
            if (t == null) {
                continue;
            }
            final Statistics e = new Statistics();
            if (!e.shouldCommit()) {
                return;
            }
            final ConnectionTable.Stats s = t.stats();
            e.table = t.name;
            e.strategy = t.strategy.name();
            e.size = s.size();
            e.inserts = s.inserts();
            e.removes = s.removes();
            e.resizes = s.resizes();
            e.lockedFallbacks = s.lockedFallbacks();
            e.blocksCreated = s.blocksCreated();
            e.blocksPending = s.blocksPending();
            e.commit();
        }
    }

    /** For tests: tables in the periodic statistics. */
    static int live() {
        return LIVE.size();
    }

    /** One table's counters, every second while a recording enables it. */
    @Name("org.smr4j.ConnectionTableStatistics")
    @Label("Connection Table Statistics")
    @Category({"smr4j", "Connection Table"})
    @Description("The counters of one connection table (ConnectionTable.stats())")
    @Period("1 s")
    @StackTrace(false)
    static final class Statistics extends Event {
        @Label("Table")
        @Nullable String table;
        @Label("Strategy")
        @Nullable String strategy;
        @Label("Size")
        @Description("Connections and listeners present")
        long size;
        @Label("Inserts")
        long inserts;
        @Label("Removes")
        long removes;
        @Label("Resizes")
        long resizes;
        @Label("Locked Fallbacks")
        long lockedFallbacks;
        @Label("Blocks Created")
        long blocksCreated;
        @Label("Blocks Pending")
        @Description("Removed blocks not yet reusable; -1 where the garbage collector owns them")
        long blocksPending;
    }

    /** An MXBean whose class and attributes carry descriptions. */
    private static final class Described extends StandardMBean {
        private final String description;

        Described(final ConnectionTableMXBean impl, final String description) {
            super(impl, ConnectionTableMXBean.class, true);
            this.description = description;
        }

        @Override
        protected String getDescription(final MBeanInfo info) {
            return description;
        }

        @Override
        protected String getDescription(final MBeanAttributeInfo info) {
            return DESCRIPTIONS.getOrDefault(info.getName(), info.getDescription());
        }
    }

    /** The MBean: holds the table weakly; every attribute takes a fresh snapshot. */
    private static final class Bean implements ConnectionTableMXBean {
        private final WeakReference<AbstractConnectionTable> ref;
        private final String name;

        Bean(final AbstractConnectionTable table) {
            this.ref = new WeakReference<>(table);
            this.name = table.name;
        }

        private AbstractConnectionTable table() {
            final AbstractConnectionTable t = ref.get();
            if (t == null) {
                throw new IllegalStateException("connection table '" + name
                        + "' was garbage collected; its MBean is being unregistered");
            }
            return t;
        }

        private ConnectionTable.Stats stats() {
            return table().stats();
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public String getStrategy() {
            return table().strategy.name();
        }

        @Override
        public boolean getClosed() {
            return table().isClosed();
        }

        @Override
        public long getSize() {
            return stats().size();
        }

        @Override
        public long getBuckets() {
            return stats().buckets();
        }

        @Override
        public long getInserts() {
            return stats().inserts();
        }

        @Override
        public long getRemoves() {
            return stats().removes();
        }

        @Override
        public long getRehashes() {
            return stats().rehashes();
        }

        @Override
        public long getResizes() {
            return stats().resizes();
        }

        @Override
        public long getLockedFallbacks() {
            return stats().lockedFallbacks();
        }

        @Override
        public long getReferencePaths() {
            return stats().referencePaths();
        }

        @Override
        public long getMissRetries() {
            return stats().missRetries();
        }

        @Override
        public long getBlocksCreated() {
            return stats().blocksCreated();
        }

        @Override
        public long getBlocksLive() {
            return stats().blocksLive();
        }

        @Override
        public long getBlocksPending() {
            return stats().blocksPending();
        }

        @Override
        public String getMaxConnections() {
            final long n = table().maxConnections;
            return n == 0 ? "unlimited" : Long.toString(n);
        }

        @Override
        public String getPendingLimit() {
            final long n = table().pendingLimit;
            return n == 0 ? "unlimited" : Long.toString(n);
        }
    }
}
