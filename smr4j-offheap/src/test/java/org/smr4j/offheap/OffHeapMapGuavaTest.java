package org.smr4j.offheap;

import com.google.common.collect.testing.ConcurrentMapTestSuiteBuilder;
import com.google.common.collect.testing.TestStringMapGenerator;
import com.google.common.collect.testing.features.CollectionFeature;
import com.google.common.collect.testing.features.CollectionSize;
import com.google.common.collect.testing.features.MapFeature;
import java.util.Map;
import junit.framework.Test;
import org.junit.runner.RunWith;
import org.junit.runners.AllTests;

/**
 * Guava testlib's public {@link ConcurrentMapTestSuiteBuilder} contract suite (written by others,
 * used as a test dependency, not copied), run against {@code OffHeapMap<String, String>} with
 * every feature the map supports: {@code GENERAL_PURPOSE} (put, remove, clear and the views'
 * removals), {@code SUPPORTS_ITERATOR_REMOVE}, every size.
 *
 * <p>Left out, because the map does not have them: {@code ALLOWS_NULL_KEYS},
 * {@code ALLOWS_NULL_VALUES}, {@code ALLOWS_NULL_QUERIES} and {@code ALLOWS_NULL_ENTRY_QUERIES}
 * (a {@code ConcurrentMap} refuses nulls; the suite then checks that nulls are refused);
 * {@code SERIALIZABLE} (native memory); {@code KNOWN_ORDER} (hash order);
 * {@code FAILS_FAST_ON_CONCURRENT_MODIFICATION} (iterators are weakly consistent, as
 * {@code ConcurrentHashMap}'s). The maps share one arena, so the suite's thousands of maps cost
 * a few slabs.
 */
@RunWith(AllTests.class)
public class OffHeapMapGuavaTest {
    private static final SmrArena ARENA = SmrArena.builder("guava-suite").jmx(false).build();

    private OffHeapMapGuavaTest() {
    }

    /**
     * The suite, for JUnit 4's {@link AllTests} runner.
     *
     * @return the suite
     */

    public static Test suite() {
        return ConcurrentMapTestSuiteBuilder.using(new TestStringMapGenerator() {
                    @Override
                    protected Map<String, String> create(final Map.Entry<String, String>[] entries) {
                        final OffHeapMap<String, String> m = OffHeapMap.builder("guava", Codec.STRING, Codec.STRING)
                                .arena(ARENA).segments(4).jmx(false).build();
                        for (final Map.Entry<String, String> e : entries) {
                            m.put(e.getKey(), e.getValue());
                        }
                        return m;
                    }
                })
                .named("OffHeapMap")
                .withFeatures(MapFeature.GENERAL_PURPOSE, CollectionFeature.SUPPORTS_ITERATOR_REMOVE, CollectionSize.ANY)
                .createTestSuite();
    }
}
