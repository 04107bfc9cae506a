package org.smr4j.demo.churn;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * The garbage collector as a run sees it: pause time so far (read synchronously from the
 * {@link GarbageCollectorMXBean}s) and each pause as it is announced (the JVM's
 * garbage-collection notifications, delivered by a service thread shortly after the pause).
 *
 * <p>Which collectors pause: every bean whose name does not end in {@code Cycles}. G1's
 * {@code G1 Young Generation} and {@code G1 Old Generation} are pauses, and so is
 * {@code G1 Concurrent GC}, which counts the Remark and Cleanup pauses of a concurrent cycle
 * (JDK 20 and later); ZGC and Shenandoah report their concurrent work as {@code ... Cycles}
 * and their pauses as {@code ... Pauses}. Serial and Parallel have only pause beans.
 *
 * <p>Thread safety: {@link #pauses} may be called from any thread; the list is guarded by this
 * object.
 */
public final class GcWatch implements AutoCloseable {

    private final List<NotificationEmitter> emitters = new ArrayList<>();
    private final NotificationListener listener = this::onNotification;
    private final List<Timeline.GcPause> pauses = new ArrayList<>();
    /** JVM uptime (ms) at the start of the measured time; pauses before it are dropped. */
    private volatile long originUptimeMillis = Long.MAX_VALUE;

    private GcWatch() {
    }

    /** @return a watch listening to every collector bean that emits notifications */
    static GcWatch start() {
        final GcWatch w = new GcWatch();
        for (final GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter e) {
                e.addNotificationListener(w.listener, null, null);
                w.emitters.add(e);
            }
        }
        return w;
    }

    /** Marks the start of the measured time: pause times are given relative to it. */
    void origin() {
        originUptimeMillis = ManagementFactory.getRuntimeMXBean().getUptime();
    }

    /** @return the collector pause time since the JVM started, ms (pause collectors only) */
    public static long pauseMillis() {
        long n = 0;
        for (final GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (isPause(gc.getName())) {
                n += Math.max(0, gc.getCollectionTime());
            }
        }
        return n;
    }

    /** @return the names of this JVM's collector beans */
    static List<String> collectors() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName).toList();
    }

    /**
     * @param collector a collector bean's name
     * @return whether its collection time is pause time (see the class comment)
     */
    public static boolean isPause(final String collector) {
        return !collector.endsWith("Cycles");
    }

    /**
     * @param untilSeconds the end of the measured time, seconds after the origin
     * @return the pauses announced so far that began in {@code [0, untilSeconds]}
     */
    synchronized List<Timeline.GcPause> pauses(final double untilSeconds) {
        return pauses.stream().filter(p -> p.seconds() >= 0 && p.seconds() <= untilSeconds).toList();
    }

    private void onNotification(final Notification n, final Object handback) {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
            return;
        }
        final GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo
                .from((CompositeData) n.getUserData());
        if (!isPause(info.getGcName())) {
            return;
        }
        final long origin = originUptimeMillis;
        if (origin == Long.MAX_VALUE) {
            return;
        }
        final Timeline.GcPause p = new Timeline.GcPause((info.getGcInfo().getStartTime() - origin) / 1e3,
                info.getGcInfo().getDuration(), info.getGcName(), info.getGcAction(), info.getGcCause());
        synchronized (this) {
            pauses.add(p);
        }
    }

    @Override
    public void close() {
        for (final NotificationEmitter e : emitters) {
            try {
                e.removeNotificationListener(listener);
            } catch (final ListenerNotFoundException ignored) {
                // added in start(); nothing to remove is fine
            }
        }
    }
}
