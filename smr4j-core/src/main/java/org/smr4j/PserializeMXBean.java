package org.smr4j;

/**
 * The management interface of one {@link Pserialize}, registered as
 * {@code org.smr4j:type=Pserialize,name=<name>} (with {@code ,instance=<n>}
 * appended while another of the same name is registered) when it is created, and
 * unregistered by its {@code close()} or once it is unreachable. Each attribute reads the
 * counters afresh; attributes read one after another are not mutually consistent. The
 * attribute descriptions (tool tips in jconsole and VisualVM) repeat what is written here.
 *
 * <p>The attributes are those of {@link Pserialize.Stats}, plus the readers inside now.
 */
public interface PserializeMXBean {
    /**
     * Returns the instance's name.
     *
     * @return the name
     */
    String getName();

    /**
     * Returns whether readers publish without a store-load fence (where {@code membarrier(2)}
     * works).
     *
     * @return true if fence-free
     */
    boolean getFenceFreeReaders();

    /**
     * Returns whether {@link Pserialize#close()} was called.
     *
     * @return true once closed
     */
    boolean getClosed();

    /**
     * Returns the number of {@code perform()} calls.
     *
     * @return performs so far
     */
    long getPerforms();

    /**
     * Returns the number of barrier rounds run (each scans the readers once).
     *
     * @return rounds so far
     */
    long getBarriers();

    /**
     * Returns the number of process-wide barriers ({@code membarrier(2)}) issued.
     *
     * @return membarriers so far
     */
    long getMembarriers();

    /**
     * Returns the number of rounds that found a reader inside and waited for it.
     *
     * @return waits so far
     */
    long getWaits();

    /**
     * Returns the number of performs served by another caller's round.
     *
     * @return coalesced performs so far
     */
    long getCoalesced();

    /**
     * Returns the number of rounds that met a thread that had died inside a section.
     *
     * @return such rounds so far
     */
    long getDeadSkipped();

    /**
     * Returns the number of reader records registered.
     *
     * @return records now
     */
    int getReaders();

    /**
     * Returns the number of readers inside a section now, found by a scan.
     *
     * @return readers inside now
     */
    int getReadersInside();
}
