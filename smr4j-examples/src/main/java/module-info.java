/**
 * Runnable stories that use smr4j. Consumes {@code org.smr4j} as a named module, which also
 * checks that the library's module descriptor exports what users need.
 */
module org.smr4j.examples {
    requires org.smr4j;
    requires org.smr4j.netinet;
    requires org.smr4j.offheap;
}
