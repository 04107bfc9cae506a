package org.smr4j;

import java.lang.management.ManagementFactory;
import java.lang.ref.Cleaner;
import java.lang.ref.WeakReference;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.StandardMBean;
import org.jspecify.annotations.Nullable;

/**
 * The registration of this package's MBeans on the platform MBean server: one per
 * {@link Smr} domain, {@link Pserialize} instance, {@link SmrPool} and {@link PserializePool}.
 */
final class Mbeans {
    /*
     * Overview
     * --------
     * Names. org.smr4j:type=<simple class name>,name=<name>, the name quoted (ObjectName.quote)
     * only when it holds a character an unquoted value cannot, so that any string is a valid
     * name and the usual one reads as the JDK's own MBeans do. A duplicate name is not refused (a library cannot know whether
     * two components picked the same name on purpose): while an MBean of the same type and
     * name is registered, the next one gets ",instance=<n>" appended, n = 1, 2, ... counting up per
     * name and never reused (O(1) however many share a name). mbeanName() of each structure says which name it got.
     *
     * Lifetime. Registration is the last step of a build (a build that fails leaves nothing
     * behind, issue 13.3) and unregistration part of close(). The MBean holds its structure
     * through a WeakReference, and a Cleaner unregisters it once the structure is
     * unreachable: domains had no close() before this class existed, so code everywhere
     * creates them and forgets them, and an MBean holding them strongly would keep every one
     * alive forever. close() runs the same Cleanable, so unregistration happens once.
     *
     * Failure. A registration that fails (a security manager of old, a custom MBean server
     * builder that refuses) is logged and the structure works without an MBean.
     *
     * Descriptions. Described is a StandardMBean (MXBean mode) whose class and attributes
     * carry the descriptions given, which jconsole and VisualVM show as tool tips.
     */

    private static final System.Logger LOG = System.getLogger("org.smr4j");
    /**
     * One daemon thread for every structure of the package (Periodic shares it); its actions
     * only unregister and leave sets, never block.
     */
    static final Cleaner CLEANER = Cleaner.create();

    private Mbeans() {
    }

    /** A registration: its name, and the action that removes it (once). */
    static final class Registration {
        private final ObjectName name;
        private final Cleaner.Cleanable cleanable;

        private Registration(final ObjectName name, final Cleaner.Cleanable cleanable) {
            this.name = name;
            this.cleanable = cleanable;
        }

        /** The canonical object name. */
        String name() {
            return name.getCanonicalName();
        }

        /** Unregisters now, if not done yet. */
        void unregister() {
            cleanable.clean();
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

    /**
     * Registers {@code mbean} as {@code type} / {@code name}, to be unregistered when
     * {@code owner} becomes unreachable or {@link Registration#unregister()} is called.
     *
     * @return the registration, or null if registration failed
     */
    static @Nullable Registration register(final String type, final String name, final Object mbean, final Object owner) {
        final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        final String base = "org.smr4j:type=" + type + ",name=" + nameValue(name);
        try {
            for (int i = 0; ; i = nextInstance(base)) {
                final ObjectName on = new ObjectName(i == 0 ? base : base + ",instance=" + i);
                if (!server.isRegistered(on)) {
                    try {
                        server.registerMBean(mbean, on);
                        return new Registration(on, CLEANER.register(owner, new Unregister(on)));
                    } catch (final InstanceAlreadyExistsException raced) {
                        // another structure of the same name took it meanwhile; try the next
                    }
                }
            }
        } catch (final JMException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, type + " '" + name + "': JMX registration failed", e);
            return null;
        }
    }

    /** The Cleaner's action: holds the name only, never the structure. */
    private record Unregister(ObjectName name) implements Runnable {
        @Override
        public void run() {
            try {
                ManagementFactory.getPlatformMBeanServer().unregisterMBean(name);
            } catch (final JMException e) {
                LOG.log(System.Logger.Level.DEBUG, name + ": MBean already gone", e);
            }
        }
    }

    /** The name of a registration, or null. */
    static @Nullable String nameOf(final @Nullable Registration r) {
        return r == null ? null : r.name();
    }

    /** Unregisters {@code r} if not null. */
    static void unregister(final @Nullable Registration r) {
        if (r != null) {
            r.unregister();
        }
    }

    /** A limit for people: "unlimited" for {@code unlimited}, else the number. */
    static String limit(final long value, final long unlimited) {
        return value == unlimited ? "unlimited" : Long.toString(value);
    }

    /** The structure behind a weak MBean, or an exception that says it was collected. */
    static <T> T get(final WeakReference<T> ref, final String what) {
        final T t = ref.get();
        if (t == null) {
            throw new IllegalStateException(what + " was garbage collected; its MBean is being unregistered");
        }
        return t;
    }

    /** An MXBean whose class and attributes carry the given descriptions. */
    static final class Described<T> extends StandardMBean {
        private final String description;
        private final Map<String, String> attributes;

        Described(final T impl, final Class<T> type, final String description, final Map<String, String> attributes) {
            super(impl, type, true);
            this.description = description;
            this.attributes = attributes;
        }

        @Override
        protected String getDescription(final MBeanInfo info) {
            return description;
        }

        @Override
        protected String getDescription(final MBeanAttributeInfo info) {
            return attributes.getOrDefault(info.getName(), info.getDescription());
        }
    }
}
