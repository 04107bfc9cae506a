package org.smr4j.netinet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.smr4j.netinet.ConnectionTable.LockMode;
import org.smr4j.netinet.ConnectionTable.Strategy;
import org.smr4j.testsupport.TestSupport;

/**
 * {@link ConnectionTable#read}: the reader function must see the block of the connection it
 * was asked for, never that of another connection (after a rehash or a reuse). Each test
 * plays a slow reader: the function, on its first call, lets a writer thread change the table
 * and waits up to {@value #WRITER_WAIT_MILLIS} ms for it (a writer that must wait for the
 * reader, as SMR's rehash waits for the grace period and the RW table's writers for the
 * read lock, cannot finish; that is the point), then reads the key from the block.
 */
class ReadConsistencyTest {

    static final long WRITER_WAIT_MILLIS = 300;
    static final ConnectionKey K = ConnectionKey.ipv4(ConnectionKey.TCP, 0x0A000001, 5432, 0xC0000201, 40_001);
    static final ConnectionKey K2 = ConnectionKey.ipv4(ConnectionKey.TCP, 0x0A000001, 5432, 0xC0000202, 40_002);
    static final ConnectionKey K3 = ConnectionKey.ipv4(ConnectionKey.TCP, 0x0A000001, 5432, 0xC0000203, 40_003);

    /** Reads K's key with a reader function that lets {@code writer} run in the middle. */
    static ConnectionKey slowRead(final ConnectionTable t, final Consumer<ConnectionTable> writer) throws Exception {
        final CountDownLatch inside = new CountDownLatch(1);
        final CountDownLatch written = new CountDownLatch(1);
        final Thread w = Thread.ofPlatform().name("read-writer").start(() -> {
            try {
                inside.await();
                writer.accept(t);
                written.countDown();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        final AtomicInteger calls = new AtomicInteger();
        final ConnectionKey seen = t.read(K, b -> {
            if (calls.getAndIncrement() == 0) {
                inside.countDown();
                try {
                    written.await(WRITER_WAIT_MILLIS, TimeUnit.MILLISECONDS);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return b.key();
        });
        TestSupport.join(w, "writer");
        return seen;
    }

    static void rehashKToK2(final ConnectionTable t) {
        final ControlBlock b = t.lookup(K, LockMode.WRITE);
        assertThat(t.rehash(b, K2)).isTrue();
        b.unlock();
    }

    @ParameterizedTest
    @EnumSource(names = {"SMR_DEFAULT", "SMR_LAZY", "PSERIALIZE", "RW_LOCK"})
    @Timeout(60)
    void readNeverAppliesTheReaderToARehashedBlock(final Strategy strategy) throws Exception {
        try (ConnectionTable t = ConnectionTable.create(strategy)) {
            t.insert(K).unlock();
            final ConnectionKey seen = slowRead(t, ReadConsistencyTest::rehashKToK2);
            assertThat(seen).as("read(K) saw the block as K's (the rehash waited for the reader)").isEqualTo(K);
            final ControlBlock moved = t.lookup(K2, LockMode.READ);
            assertThat(moved).isNotNull();
            moved.unlock();
            TableProbe.validate(t);
        }
    }

    /**
     * {@code ConcurrentMapConnectionTable.read} gets the block for K, checks it, then applies
     * the reader; a rehash K -> K2 needs only the block's write lock, which {@code read} does
     * not take, so it can complete while the reader function runs. This test found that
     * {@code read(K)} then returned K2's state. The fix re-checks the tuple after the function
     * (behind a load-load fence) and looks again, so the answer is K's state or, the rehash
     * having won, null: never K2's. (The other strategies keep the tuple still under the
     * reader: SMR and pserialize wait for the section before the rekey, RW_LOCK holds the
     * table's read lock; so for them the answer is K.)
     */
    @Test
    @Timeout(60)
    void concurrentMapReadNeverAppliesTheReaderToARehashedBlock() throws Exception {
        try (ConnectionTable t = ConnectionTable.create(Strategy.CONCURRENT_HASH_MAP)) {
            t.insert(K).unlock();
            final ConnectionKey seen = slowRead(t, ReadConsistencyTest::rehashKToK2);
            assertThat(seen).as("K's state, or absent; never K2's").isIn(K, null);
        }
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    @Timeout(60)
    void readNeverSeesAnotherConnectionInAReusedBlock(final Strategy strategy) throws Exception {
        try (ConnectionTable t = ConnectionTable.create(strategy)) {
            final ControlBlock first = t.insert(K);
            first.unlock();
            final ControlBlock[] reused = new ControlBlock[1];
            final ConnectionKey seen = slowRead(t, w -> {
                assertThat(w.remove(K)).isTrue();
                reused[0] = w.insert(K3); // pserialize hands K's block out again at once
                reused[0].unlock();
            });
            assertThat(seen).as("K, or absent; never the key of the block's next connection").isIn(K, null);
            if (strategy == Strategy.PSERIALIZE) {
                assertThat(reused[0]).as("the block was reused under the reader").isSameAs(first);
                assertThat(seen).as("revalidation noticed the reuse and the retry found K gone").isNull();
            }
            TableProbe.validate(t);
        }
    }
}
