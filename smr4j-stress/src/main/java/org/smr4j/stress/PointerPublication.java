package org.smr4j.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressMeta;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;
import org.smr4j.Smr;
import org.smr4j.SmrPointer;

/**
 * Publication through the typed accessors: a reader that finds a freshly initialised object
 * through {@link SmrPointer#enteredLoad()} inside a read section must see it initialised.
 *
 * <p>The hazard. A writer allocates an object, initialises its (non-final) fields with plain
 * stores and publishes the reference. If the publishing store is not a release, the JIT or
 * a weakly ordered CPU may make the reference visible before the field stores, and a reader
 * sees a non-null object with default (zero) fields. {@link SmrPointer#serializedStore(Object)}
 * is a release store and {@link SmrPointer#serializedSwap(Object)} a volatile swap; both pair
 * with the acquire load in {@link SmrPointer#enteredLoad()} (Java has no consume, so the
 * reader side is an acquire too). The read section itself adds nothing here: SMR protects
 * against reuse, not publication; the accessors do.
 *
 * <p>Result: {@code (r1, r2)} = the two fields the reader saw, or {@code (-1, -1)} if it found
 * null (the object not published yet). The writer stores 1 and 2.
 *
 * <p>Cases: {@link SerializedStore} and {@link SerializedSwap} run the real accessors;
 * {@link UnserializedStore} misuses the real class's opaque store (documented for values no
 * reader can see) for publication, and {@link PlainModel} publishes with a plain field store:
 * the two negative controls. The JMM allows them to show a partly initialised object, but on
 * x86 (TSO keeps stores in order) with HotSpot (which does not sink these field stores below
 * the publishing store) they are expected to show nothing; on arm64 or POWER they may.
 * {@link PublishFirstModel} writes the broken order into the program (publish, then
 * initialise): the control that shows here, so that the suite is known to be able to fail on
 * this subject on x86 too.
 *
 * <p>Run: {@code java --enable-native-access=ALL-UNNAMED -jar smr4j-stress/target/jcstress.jar
 * -t PointerPublication -m default}
 */
@Outcome(id = "-1, -1", expect = ACCEPTABLE, desc = "Reader found null: the object was not published yet.")
@Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "Reader found the object fully initialised.")
@Outcome(id = {"0, 0", "1, 0", "0, 2"}, expect = FORBIDDEN,
        desc = "Reader found the object but not its initialisation: the publication was not a release.")
@Outcome(expect = FORBIDDEN, desc = "Harness error: values nobody wrote.")
public final class PointerPublication {
    private PointerPublication() {
    }

    /** The published object: plain, non-final fields, so only the publication orders them. */
    public static final class Box {
        int a;
        int b;
    }

    static Box initialised() {
        final Box box = new Box();
        box.a = 1;
        box.b = 2;
        return box;
    }

    static void read(final Box box, final II_Result r) {
        if (box == null) {
            r.r1 = -1;
            r.r2 = -1;
        } else {
            r.r1 = box.a;
            r.r2 = box.b;
        }
    }

    /** The domain the readers enter; no writer advances in these tests. */
    static final Smr SMR = Domains.defaultMode("PointerPublication");

    /** The real accessors: serializedStore (release) against enteredLoad (acquire). */
    @JCStressTest
    @JCStressMeta(PointerPublication.class)
    @State
    public static class SerializedStore {
        final SmrPointer<Box> ptr = new SmrPointer<>(SMR);

        @Actor
        public void writer() {
            ptr.serializedStore(initialised());
        }

        @Actor
        public void reader(final II_Result r) {
            SMR.enter();
            try {
                read(ptr.enteredLoad(), r);
            } finally {
                SMR.exit();
            }
        }
    }

    /** The real accessors: serializedSwap (volatile swap) against enteredLoad (acquire). */
    @JCStressTest
    @JCStressMeta(PointerPublication.class)
    @State
    public static class SerializedSwap {
        final SmrPointer<Box> ptr = new SmrPointer<>(SMR);

        @Actor
        public void writer() {
            ptr.serializedSwap(initialised());
        }

        @Actor
        public void reader(final II_Result r) {
            SMR.enter();
            try {
                read(ptr.enteredLoad(), r);
            } finally {
                SMR.exit();
            }
        }
    }

    /**
     * Negative control with the real class: publication through
     * {@link SmrPointer#unserializedStore(Object)}, an opaque store that promises no ordering
     * (it is meant for values no reader can see). The reader side is unchanged.
     */
    @JCStressTest
    @Outcome(id = "-1, -1", expect = ACCEPTABLE, desc = "Reader found null: not published yet.")
    @Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "Reader found the object initialised.")
    @Outcome(id = {"0, 0", "1, 0", "0, 2"}, expect = ACCEPTABLE_INTERESTING,
            desc = "The hazard, shown: an opaque store published the reference before the fields. Allowed by the JMM;"
                    + " not expected on x86 (TSO keeps stores in order), possible on arm64/POWER.")
    @Outcome(expect = FORBIDDEN, desc = "Harness error: values nobody wrote.")
    @State
    public static class UnserializedStore {
        final SmrPointer<Box> ptr = new SmrPointer<>(SMR);

        @Actor
        public void writer() {
            ptr.unserializedStore(initialised()); // BROKEN on purpose: opaque, not release
        }

        @Actor
        public void reader(final II_Result r) {
            SMR.enter();
            try {
                read(ptr.enteredLoad(), r);
            } finally {
                SMR.exit();
            }
        }
    }

    /**
     * Negative control, model: publication by a plain field store, which lets the JIT as well
     * as the CPU reorder it with the field stores; the reader keeps its acquire load.
     */
    @JCStressTest
    @Outcome(id = "-1, -1", expect = ACCEPTABLE, desc = "Reader found null: not published yet.")
    @Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "Reader found the object initialised.")
    @Outcome(id = {"0, 0", "1, 0", "0, 2"}, expect = ACCEPTABLE_INTERESTING,
            desc = "The hazard, shown: a plain store published the reference before the fields. Allowed by the JMM;"
                    + " not expected on x86 with HotSpot, possible on arm64/POWER.")
    @Outcome(expect = FORBIDDEN, desc = "Harness error: values nobody wrote.")
    @State
    public static class PlainModel {
        /** Plain field: written plainly, read through PTR with acquire. */
        Box ptr;

        @Actor
        public void writer() {
            ptr = initialised(); // BROKEN on purpose: plain store
        }

        @Actor
        public void reader(final II_Result r) {
            SMR.enter();
            try {
                read((Box) PTR.getAcquire(this), r);
            } finally {
                SMR.exit();
            }
        }

        private static final VarHandle PTR;

        static {
            try {
                PTR = MethodHandles.lookup().findVarHandle(PlainModel.class, "ptr", Box.class);
            } catch (final ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    /**
     * Negative control that shows on this machine: the writer publishes (with the real release
     * store) <em>before</em> it initialises the fields, which is the order a missing release
     * lets the JIT or a weak CPU produce. x86-TSO keeps the program's store order, so the
     * broken order has to be written into the program to be seen here; what this shows is
     * that the harness and the reader's checks detect a partly initialised object whenever
     * one is published, on any platform. The object is allocated (and zeroed) first, and the
     * fields are stored afterwards, so a reader may see {@code 0, 0} or {@code 1, 0}.
     */
    @JCStressTest
    @Outcome(id = "-1, -1", expect = ACCEPTABLE, desc = "Reader found null: not published yet.")
    @Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "Reader found the object after both field stores.")
    @Outcome(id = {"0, 0", "1, 0", "0, 2"}, expect = ACCEPTABLE_INTERESTING,
            desc = "The hazard, shown: the reference was visible before the field stores (published first on"
                    + " purpose). Expected on every platform.")
    @Outcome(expect = FORBIDDEN, desc = "Harness error: values nobody wrote.")
    @State
    public static class PublishFirstModel {
        final SmrPointer<Box> ptr = new SmrPointer<>(SMR);

        @Actor
        public void writer() {
            final Box box = new Box();
            ptr.serializedStore(box); // BROKEN on purpose: published before initialised
            box.a = 1;
            box.b = 2;
        }

        @Actor
        public void reader(final II_Result r) {
            SMR.enter();
            try {
                read(ptr.enteredLoad(), r);
            } finally {
                SMR.exit();
            }
        }
    }
}
