/**
 * smr4j: FreeBSD's smr(9) safe memory reclamation for Java.
 *
 * <ul>
 *   <li>{@link org.smr4j.Smr}: a reclamation domain (readers enter and exit, writers advance,
 *       poll, wait and synchronize), in default, deferred and lazy modes.</li>
 *   <li>{@link org.smr4j.SmrPointer}: typed accessors for references that readers follow.</li>
 *   <li>{@link org.smr4j.SmrSeq}: wrap-safe sequence arithmetic.</li>
 *   <li>{@link org.smr4j.SmrPool}: a type-stable object pool whose freed objects are reused only
 *       once no reader can still hold them (FreeBSD UMA SMR zones, NetBSD
 *       {@code pool_cache_set_smr}), with {@link org.smr4j.SmrRetireQueue}, a call_rcu-style
 *       deferred action queue on the same batching.</li>
 *   <li>{@link org.smr4j.Pserialize}: NetBSD pserialize(9): fence-free readers, a writer-side
 *       {@code perform()} over membarrier(2).</li>
 *   <li>{@link org.smr4j.PserializePool}: a type-stable pool with {@code PR_PSERIALIZE}
 *       semantics: immediate reuse, readers revalidate, one barrier per finalised batch.</li>
 * </ul>
 *
 * <h2>Which one</h2>
 * Use {@code Smr} and {@code SmrPool} when a reader must never see an object recycled under
 * it (no revalidation needed, memory bounded by the free rate times the longest section).
 * Use {@code Pserialize} and {@code PserializePool} when readers can revalidate what they find
 * (a generation, a key, a freed flag checked under the object's lock) and writers prefer
 * immediate reuse; the writer then pays a process-wide barrier per finalised batch.
 * {@code docs/PERFORMANCE.md} measures them side by side.
 *
 * <p>Maintainers: the conventions inside the code (access modes, {@code // ORDER:} comments,
 * padding, misuse) are in {@code docs/INTERNALS.md} of the repository.
 */
@NullMarked
package org.smr4j;

import org.jspecify.annotations.NullMarked;
