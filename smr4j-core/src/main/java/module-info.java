/**
 * smr4j: safe memory reclamation for the JVM, after FreeBSD's smr(9).
 *
 * <p>The module exports one package, {@link org.smr4j}. Besides {@code java.base} it reads
 * {@code java.management} (one MBean per {@link org.smr4j.SmrPool}) and {@code jdk.jfr}
 * (flight recorder events of pools and retire queues). Lazy-mode domains use Linux
 * {@code membarrier(2)} through {@code java.lang.foreign}; grant it with
 * {@code --enable-native-access=org.smr4j} (or {@code ALL-UNNAMED} on the class path).
 * Without it, lazy readers fall back to a fenced publication, which is safe but slower, and a
 * one-line notice says so.
 */
module org.smr4j {
    requires static org.jspecify;
    requires java.management;
    requires jdk.jfr;

    exports org.smr4j;
}
