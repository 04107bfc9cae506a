/**
 * A connection table in the style of FreeBSD's {@code in_pcb} lockless lookup, over smr4j,
 * and the same table over the strategies a user would weigh against it. See
 * {@link org.smr4j.netinet.ConnectionTable}.
 */
module org.smr4j.netinet {
    requires transitive org.smr4j;
    exports org.smr4j.netinet;
}
