/**
 * smr4j: FreeBSD's smr(9) safe memory reclamation for Java.
 *
 * <ul>
 *   <li>{@link org.smr4j.Smr}: a reclamation domain (readers enter and exit, writers advance,
 *       poll, wait and synchronize), in default, deferred and lazy modes.</li>
 *   <li>{@link org.smr4j.SmrPointer}: typed accessors for references that readers follow.</li>
 *   <li>{@link org.smr4j.SmrSeq}: wrap-safe sequence arithmetic.</li>
 * </ul>
 *
 * <h2>Conventions inside this package</h2>
 * <ul>
 *   <li>Fields touched concurrently are declared plain and accessed only through a
 *       {@code private static final VarHandle} named after the field in upper case, declared in
 *       a trailing "VarHandle mechanics" block. Accessor methods name the access mode in Java 9
 *       vocabulary: {@code wrSeqOpaque()}, {@code rdSeqAcquire()}, {@code casRdSeq()}.</li>
 *   <li>Every access stronger than plain, and every fence, carries an {@code // ORDER:}
 *       comment with its reason and what it pairs with; {@code grep -n "ORDER:"} lists them.</li>
 *   <li>Hot fields are padded by inheritance chains ({@code SmrLayout}), checked by a JOL test.</li>
 *   <li>Misuse throws {@link java.lang.IllegalStateException} or
 *       {@link java.lang.IllegalArgumentException} naming the domain, the value and the thread.</li>
 * </ul>
 */
package org.smr4j;
