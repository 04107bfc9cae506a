/**
 * jcstress tests of smr4j-core, one outer class per hazard, nested cases per variant.
 *
 * <p>Conventions, after Agrona's {@code DekkerTests} and Caffeine's jcstress tests:
 * <ul>
 *   <li>The outer class documents the hazard, the encoding of the result and the run command,
 *       and carries the shared {@code @Outcome} set that real-class and model cases reuse with
 *       {@code @JCStressMeta}.</li>
 *   <li>Real-class cases are named after the domain mode ({@code Default}, {@code Lazy});
 *       {@code ...Model} cases strip the protocol to one slot and the fences under test;
 *       negative controls are named after what they break and declare their own outcomes,
 *       with the hazard as {@code ACCEPTABLE_INTERESTING}.</li>
 *   <li>Every {@code @Outcome} has a description; every access mode in a model is commented
 *       ({@code ORDER:} for the fences under test, {@code BROKEN on purpose} for the controls).</li>
 *   <li>SMR read sections must be entered and exited on the actor's own thread (the record is
 *       per thread); waits inside actors are bounded, and a time-out is its own outcome.</li>
 * </ul>
 *
 * <p>Run all: {@code java --enable-native-access=ALL-UNNAMED -jar smr4j-stress/target/jcstress.jar -m default}.
 * See the module's README.md.
 */
package org.smr4j.stress;
