/**
 * Runnable examples. Start with {@link org.smr4j.examples.LockFreeLookupDemo}.
 */
package org.smr4j.examples;
