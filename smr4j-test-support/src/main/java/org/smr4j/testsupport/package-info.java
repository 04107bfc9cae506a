/**
 * What the tests of every smr4j module share: {@link org.smr4j.testsupport.TestSupport}
 * (bounded waits, thread-state probes, the profile switches) and
 * {@link org.smr4j.testsupport.Seed} (replayable random seeds). A test-scoped dependency of
 * the other modules; not part of smr4j's API and not deployed.
 */
package org.smr4j.testsupport;
