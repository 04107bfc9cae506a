package com.example.smr4j;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.smr4j.Smr;
import org.smr4j.SmrPool;

/** The README's smr4j-core example: a pooled session published to readers, replaced, reused. */
public final class CoreExample {
    /** A recycled object: readers may hold it while a writer replaces it. */
    static final class Session {
        long id;
    }

    private CoreExample() {
    }

    private static void await(final CountDownLatch latch) {
        try {
            latch.await();
        } catch (final InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void join(final Thread thread) {
        try {
            thread.join();
        } catch (final InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void main(final String[] args) {
        final AtomicReference<Session> current = new AtomicReference<>();
        // README:begin core
        Smr smr = Smr.builder("sessions").lazy().build();      // or Smr.create("sessions")
        SmrPool<Session> pool = SmrPool.builder("sessions", Session::new).smr(smr).build();

        Smr.Reader reader = smr.reader();                      // per thread, for hot paths
        reader.enter();                                        // reader: no lock, no fence in lazy mode
        try {
            Session s = current.get();                         // cannot be reused while we are inside
            if (s != null) System.out.println("session " + s.id);
        } finally {
            reader.exit();
        }

        Session fresh = pool.get();                            // writer: a new or an expired object
        fresh.id = 42;
        Session old = current.getAndSet(fresh);                // unlink the old one...
        if (old != null) pool.put(old);                        // ...and free it: reused only after a grace period
        // README:end core
        // The promise, checked: an object put while a reader that found it is still inside is
        // not handed out again before that reader leaves.
        final CountDownLatch inside = new CountDownLatch(1);
        final CountDownLatch leave = new CountDownLatch(1);
        final AtomicReference<Session> seen = new AtomicReference<>();
        final Thread holder = Thread.ofPlatform().start(() -> {
            smr.enter();
            try {
                seen.set(current.get());
                inside.countDown();
                leave.await();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                smr.exit();
            }
        });
        await(inside);
        pool.put(current.getAndSet(pool.get()));
        for (int i = 0; i < 1_000; i++) {
            final Session other = pool.get();
            if (other == seen.get()) {
                throw new AssertionError("the pool reused an object while a reader could hold it");
            }
            pool.put(other);
        }
        leave.countDown();
        join(holder);
        System.out.println("core: " + pool.stats());
        pool.close();
    }
}
