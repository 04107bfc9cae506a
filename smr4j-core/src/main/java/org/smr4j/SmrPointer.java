package org.smr4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * A reference that readers follow inside read sections of one domain, with the accessors of
 * FreeBSD's {@code sys/sys/smr_types.h}: the access mode is in the method's name and each
 * method says who may call it. Like {@code SMR_POINTER}, the wrapper keeps code from reading
 * the field without saying which of these it is.
 *
 * <table class="striped">
 *   <caption>Accessors</caption>
 *   <thead><tr><th>method</th><th>FreeBSD</th><th>access</th><th>who</th><th>checked</th></tr></thead>
 *   <tbody>
 *   <tr><td>{@link #enteredLoad()}</td><td>{@code smr_entered_load}</td><td>acquire</td>
 *       <td>readers, inside a section</td><td>the caller is in a section of the domain</td></tr>
 *   <tr><td>{@link #serializedLoad()}</td><td>{@code smr_serialized_load}</td><td>opaque</td>
 *       <td>writers, serialised</td><td>the serialisation predicate</td></tr>
 *   <tr><td>{@link #serializedStore(Object)}</td><td>{@code smr_serialized_store}</td><td>release</td>
 *       <td>writers, serialised</td><td>the serialisation predicate</td></tr>
 *   <tr><td>{@link #serializedSwap(Object)}</td><td>{@code smr_serialized_swap}</td><td>volatile swap</td>
 *       <td>writers, possibly concurrent</td><td>the serialisation predicate</td></tr>
 *   <tr><td>{@link #unserializedLoad()}</td><td>{@code smr_unserialized_load}</td><td>opaque</td>
 *       <td>anyone, for values no reader can see</td><td>nothing</td></tr>
 *   <tr><td>{@link #unserializedStore(Object)}</td><td>{@code smr_unserialized_store}</td><td>opaque</td>
 *       <td>anyone, for values no reader can see</td><td>nothing</td></tr>
 *   </tbody>
 * </table>
 *
 * <p>The checks run only when the domain was built with {@linkplain Smr.Builder#checked(boolean)
 * checks on} (as {@code SMR_ASSERT} runs only in INVARIANTS kernels), and throw
 * {@link IllegalStateException} naming the domain, the accessor and the thread.
 *
 * <p>Memory consistency effects: actions of a writer before {@link #serializedStore(Object)}
 * or {@link #serializedSwap(Object)} of a value <i>happen-before</i> the actions of a reader
 * after an {@link #enteredLoad()} that returns that value: an object initialised and then
 * published with these accessors is seen initialised.
 *
 * @param <T> the type of the referenced object
 */
public final class SmrPointer<T> {
    private final Smr smr;
    private final BooleanSupplier serialized;
    /** Accessed only through {@link #VALUE}. */
    @SuppressWarnings("unused")
    private @Nullable T value;

    /**
     * Creates a null pointer whose serialised accessors are not checked.
     *
     * @param smr the domain whose readers follow this pointer
     */
    public SmrPointer(final Smr smr) {
        this(smr, () -> true, null);
    }

    /**
     * Creates a pointer.
     *
     * @param smr the domain whose readers follow this pointer
     * @param serialized true when the calling writer is serialised, e.g. {@code lock::isHeldByCurrentThread};
     *        evaluated only by checked domains
     * @param initial the initial value, may be null; published by the usual means that
     *        publish this pointer
     */
    public SmrPointer(final Smr smr, final BooleanSupplier serialized, final @Nullable T initial) {
        this.smr = Objects.requireNonNull(smr, "smr");
        this.serialized = Objects.requireNonNull(serialized, "serialized");
        this.value = initial;
    }

    /**
     * Reader side: loads the reference inside a read section.
     *
     * @return the value
     * @throws IllegalStateException if checks are on and the caller is not in a section
     */
    @SuppressWarnings("unchecked")
    public @Nullable T enteredLoad() {
        if (smr.checks() && !smr.entered()) {
            throw new IllegalStateException(smr.describe("SmrPointer.enteredLoad() outside a read section"));
        }
        // ORDER: acquire (Java has no consume); pairs with the release in serializedStore and
        // the volatile swap: the reader sees the object initialised.
        return (T) VALUE.getAcquire(this);
    }

    /**
     * Writer side: loads the reference while serialised with other writers.
     *
     * @return the value
     * @throws IllegalStateException if checks are on and the predicate is false
     */
    @SuppressWarnings("unchecked")
    public @Nullable T serializedLoad() {
        checkSerialized("serializedLoad()");
        // ORDER: opaque; the writers' lock orders it, readers never write.
        return (T) VALUE.getOpaque(this);
    }

    /**
     * Writer side: publishes a reference while serialised with other writers.
     *
     * @param newValue the new value, may be null
     * @throws IllegalStateException if checks are on and the predicate is false
     */
    public void serializedStore(final @Nullable T newValue) {
        checkSerialized("serializedStore()");
        // ORDER: release; the object's initialisation before its publication. Pairs with
        // the acquire in enteredLoad.
        VALUE.setRelease(this, newValue);
    }

    /**
     * Writer side: publishes a reference and returns the previous one atomically; writers may
     * run concurrently.
     *
     * @param newValue the new value, may be null
     * @return the previous value
     * @throws IllegalStateException if checks are on and the predicate is false
     */
    @SuppressWarnings("unchecked")
    public @Nullable T serializedSwap(final @Nullable T newValue) {
        checkSerialized("serializedSwap()");
        // ORDER: volatile swap: release for the new object, and atomic against other swaps.
        return (T) VALUE.getAndSet(this, newValue);
    }

    /**
     * Loads the reference where no reader can see it (before publication, after
     * reclamation) or where other synchronisation orders the access.
     *
     * @return the value
     */
    @SuppressWarnings("unchecked")
    public @Nullable T unserializedLoad() {
        // ORDER: opaque (FreeBSD: relaxed); no ordering promised.
        return (T) VALUE.getOpaque(this);
    }

    /**
     * Stores the reference where no reader can see it; see {@link #unserializedLoad()}.
     *
     * @param newValue the new value, may be null
     */
    public void unserializedStore(final @Nullable T newValue) {
        // ORDER: opaque (FreeBSD: relaxed); no ordering promised.
        VALUE.setOpaque(this, newValue);
    }

    /**
     * Returns the domain whose readers follow this pointer.
     *
     * @return the domain
     */
    public Smr smr() {
        return smr;
    }

    private void checkSerialized(final String what) {
        if (smr.checks() && !serialized.getAsBoolean()) {
            throw new IllegalStateException(smr.describe("SmrPointer." + what + " while not serialized"));
        }
    }

    @Override
    public String toString() {
        return "SmrPointer[" + smr.name() + ", " + unserializedLoad() + "]";
    }

    // VarHandle mechanics
    private static final VarHandle VALUE;

    static {
        try {
            VALUE = MethodHandles.lookup().findVarHandle(SmrPointer.class, "value", Object.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
