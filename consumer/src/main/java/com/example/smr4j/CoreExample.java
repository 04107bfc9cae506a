package com.example.smr4j;

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
        final Session again = pool.get();
        if (again == fresh) {
            throw new AssertionError("the pool handed out an object that is still published");
        }
        pool.put(again);
        System.out.println("core: " + pool.stats());
        pool.close();
    }
}
