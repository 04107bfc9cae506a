package org.smr4j;

/**
 * The management interface of one {@link Smr}, registered as
 * {@code org.smr4j:type=Smr,name=<name>} (with {@code ,instance=<n>}
 * appended while another of the same name is registered) when it is created, and
 * unregistered by its {@code close()} or once it is unreachable. Each attribute reads the
 * counters afresh; attributes read one after another are not mutually consistent. The
 * attribute descriptions (tool tips in jconsole and VisualVM) repeat what is written here.
 *
 * <p>The attributes are those of {@link Smr.Stats}, FreeBSD's {@code debug.smr} sysctls,
 * plus the oldest reader.
 */
public interface SmrMXBean {
    /**
     * Returns the domain's name.
     *
     * @return the name
     */
    String getName();

    /**
     * Returns the domain's mode: DEFAULT, DEFERRED or LAZY.
     *
     * @return the mode
     */
    String getMode();

    /**
     * Returns whether readers publish without a store-load fence (lazy mode with a working {@code membarrier(2)}).
     *
     * @return true if fence-free
     */
    boolean getFenceFreeReaders();

    /**
     * Returns whether {@link Smr#close()} was called.
     *
     * @return true once closed
     */
    boolean getClosed();

    /**
     * Returns the number of {@code advance()} calls ({@code debug.smr.advance}).
     *
     * @return advances so far
     */
    long getAdvances();

    /**
     * Returns the number of advances that waited for readers lagging by half the sequence space (only in the wrap test configuration).
     *
     * @return advance waits so far
     */
    long getAdvanceWaits();

    /**
     * Returns the number of {@code poll()} and {@code waitFor()} calls.
     *
     * @return polls so far
     */
    long getPolls();

    /**
     * Returns the number of polls that scanned every reader record.
     *
     * @return scans so far
     */
    long getScans();

    /**
     * Returns the number of polls that found the goal not reached.
     *
     * @return failed polls so far
     */
    long getFailedPolls();

    /**
     * Returns the number of {@code waitFor()} calls that had to block.
     *
     * @return waits so far
     */
    long getWaits();

    /**
     * Returns the number of process-wide barriers ({@code membarrier(2)}) issued by lazy-mode scans.
     *
     * @return barriers so far
     */
    long getBarriers();

    /**
     * Returns the number of reader records registered (one per thread that entered).
     *
     * @return records now
     */
    int getReaders();

    /**
     * Returns the write sequence now.
     *
     * @return the write sequence
     */
    long getWriteSequence();

    /**
     * Returns the read sequence now: every goal at or before it is reached.
     *
     * @return the read sequence
     */
    long getReadSequence();

    /**
     * Returns how many advances of the write sequence the read sequence lags behind (as of the last scan).
     *
     * @return advances not yet covered
     */
    long getStepsBehind();

    /**
     * Returns the reader that holds the oldest sequence behind the write sequence, found by a scan, as
     * {@code <thread>: sequence <s>, <n> steps behind}, or {@code none}.
     *
     * @return the oldest reader, or none
     */
    String getOldestReader();
}
