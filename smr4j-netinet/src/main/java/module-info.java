/**
 * A connection table in the style of FreeBSD's {@code in_pcb} lockless lookup, over smr4j,
 * and the same table over the strategies a user would weigh against it. See
 * {@link org.smr4j.netinet.ConnectionTable}. It reads {@code java.management} (one MBean per
 * table) and {@code jdk.jfr} (the tables' periodic statistics).
 */
module org.smr4j.netinet {
    requires static org.jspecify;
    requires transitive org.smr4j;
    requires java.management;
    requires jdk.jfr;
    exports org.smr4j.netinet;
}
