package org.smr4j.offheap;

import java.lang.management.ManagementFactory;
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

/**
 * Registration of this module's MBeans with the platform server, under
 * {@code org.smr4j:type=<type>,name=<name>} (with {@code ,instance=<n>} appended while
 * another object of the same name is registered, as core's pools do), each attribute carrying a
 * description. Registration is the last step of a build, so a build that fails leaves nothing
 * registered; a registration that fails is logged and the object works without an MBean.
 */
final class Jmx {
    private static final System.Logger LOG = System.getLogger("org.smr4j.offheap");

    private Jmx() {
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

    /** An MXBean whose attributes and whose class carry the given descriptions. */
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

    static ObjectName register(final String type, final String name, final Object mbean) {
        final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        final String base = "org.smr4j:type=" + type + ",name=" + nameValue(name);
        try {
            for (int i = 0; ; i = nextInstance(base)) {
                final ObjectName on = new ObjectName(i == 0 ? base : base + ",instance=" + i);
                if (!server.isRegistered(on)) {
                    try {
                        server.registerMBean(mbean, on);
                        return on;
                    } catch (final InstanceAlreadyExistsException raced) {
                        // another object of the same name took it meanwhile; try the next
                    }
                }
            }
        } catch (final JMException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, type + " '" + name + "': JMX registration failed", e);
            return null;
        }
    }

    static void unregister(final ObjectName on) {
        if (on != null) {
            try {
                ManagementFactory.getPlatformMBeanServer().unregisterMBean(on);
            } catch (final JMException e) {
                LOG.log(System.Logger.Level.DEBUG, on + ": MBean already gone", e);
            }
        }
    }

    /** A byte limit for people: "unlimited" for Long.MAX_VALUE, else the number of bytes. */
    static String limit(final long bytes) {
        return bytes == Long.MAX_VALUE ? "unlimited" : Long.toString(bytes);
    }
}
