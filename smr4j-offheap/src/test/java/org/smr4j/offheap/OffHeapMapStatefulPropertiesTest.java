package org.smr4j.offheap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.stateful.Action;
import net.jqwik.api.stateful.ActionSequence;

/**
 * Issue 8 point 4 for {@link OffHeapMap}: random sequences of every operation, bad arguments
 * included, against a {@link HashMap} model, with the map's invariant check
 * ({@code checkInvariants()}: every entry in its segment and bucket, one entry per key, counts
 * right) and a full comparison with the model after every step. Keys come from a small space
 * (and include non-ASCII and unpaired surrogates) so that replacements, collisions within a
 * bucket and growth all happen; values range from empty to 200 characters. One thread: the
 * concurrent schedule is the torture test's.
 */
class OffHeapMapStatefulPropertiesTest {
    private static final SmrArena ARENA = SmrArena.builder("stateful").checked(true).jmx(false).build();

    @AfterContainer
    static void closeArena() {
        ARENA.close();
    }

    /** The system under test and its model. */
    static final class State {
        final OffHeapMap<String, String> map = OffHeapMap.builder("stateful", Codec.STRING, Codec.STRING)
                .arena(ARENA).segments(2).jmx(false).build();
        final Map<String, String> model = new HashMap<>();

        void check() {
            map.checkInvariants();
            assertThat(map.size()).isEqualTo(model.size());
            assertThat(map.isEmpty()).isEqualTo(model.isEmpty());
            for (final Map.Entry<String, String> e : model.entrySet()) {
                assertThat(map.get(e.getKey())).as("get(%s)", e.getKey()).isEqualTo(e.getValue());
            }
            final Map<String, String> seen = new HashMap<>();
            for (final Map.Entry<String, String> e : map.entrySet()) {
                assertThat(seen.put(e.getKey(), e.getValue())).as("iterator returned %s twice", e.getKey()).isNull();
            }
            assertThat(seen).isEqualTo(model);
        }

        @Override
        public String toString() {
            return "model " + model;
        }
    }

    @Property(tries = 60)
    void randomOperationSequencesKeepTheMapEqualToTheModel(@ForAll("sequences") final ActionSequence<State> seq) {
        final State s = seq.withInvariant(State::check).run(new State());
        s.map.close();
        assertThatThrownBy(() -> s.map.get("a")).isInstanceOf(IllegalStateException.class);
    }

    @Provide
    @SuppressWarnings("CollectionIncompatibleType") // get(42) on a String map is one of the steps: null, no exception
    Arbitrary<ActionSequence<State>> sequences() {
        final Arbitrary<String> keys = Arbitraries.of("a", "b", "c", "d", "é", "key-5", "\uD800", "\uD83D\uDE00", "", "k7",
                "long-key-0123456789-0123456789", "x", "y", "z");
        final Arbitrary<String> values = Arbitraries.strings().ofMinLength(0).ofMaxLength(200);
        final Arbitrary<Action<State>> ops = Arbitraries.oneOf(
                keys.flatMap(k -> values.map(v -> act("put(" + k + ")", s ->
                        assertThat(s.map.put(k, v)).isEqualTo(s.model.put(k, v))))),
                keys.flatMap(k -> values.map(v -> act("set(" + k + ")", s ->
                        assertThat(s.map.set(k, v)).isEqualTo(s.model.put(k, v) != null)))),
                keys.flatMap(k -> values.map(v -> act("putIfAbsent(" + k + ")", s ->
                        assertThat(s.map.putIfAbsent(k, v)).isEqualTo(s.model.putIfAbsent(k, v))))),
                keys.flatMap(k -> values.map(v -> act("replace(" + k + ")", s ->
                        assertThat(s.map.replace(k, v)).isEqualTo(s.model.replace(k, v))))),
                keys.flatMap(k -> values.map(v -> act("replace3(" + k + ")", s -> {
                    final String cur = s.model.getOrDefault(k, "none");
                    assertThat(s.map.replace(k, cur, v)).isEqualTo(s.model.replace(k, cur, v));
                }))),
                keys.map(k -> act("remove(" + k + ")", s -> assertThat(s.map.remove(k)).isEqualTo(s.model.remove(k)))),
                keys.map(k -> act("delete(" + k + ")", s -> assertThat(s.map.delete(k)).isEqualTo(s.model.remove(k) != null))),
                keys.flatMap(k -> values.map(v -> act("remove2(" + k + ")", s ->
                        assertThat(s.map.remove(k, v)).isEqualTo(s.model.remove(k, v))))),
                keys.map(k -> act("get(" + k + ")", s -> assertThat(s.map.get(k)).isEqualTo(s.model.get(k)))),
                keys.map(k -> act("read(" + k + ")", s -> {
                    final Long len = s.map.read(k, seg -> Long.valueOf(seg.byteSize()));
                    final Long expected = s.model.containsKey(k) ? Codec.STRING.encodedSize(s.model.get(k)) : null;
                    assertThat(len).isEqualTo(expected);
                })),
                keys.map(k -> act("compute(" + k + ")", s -> assertThat(s.map.compute(k, (kk, v) -> v == null ? "new" : v + "+"))
                        .isEqualTo(s.model.compute(k, (kk, v) -> v == null ? "new" : v + "+")))),
                Arbitraries.integers().between(0, 60).map(n -> act("grow(" + n + ")", s -> {
                    for (int i = 0; i < n; i++) {
                        s.map.put("g" + i, "v" + i);
                        s.model.put("g" + i, "v" + i);
                    }
                })),
                Arbitraries.just(act("clear", s -> {
                    s.map.clear();
                    s.model.clear();
                })),
                Arbitraries.just(act("iterator.remove(first)", s -> {
                    final var it = s.map.keySet().iterator();
                    if (it.hasNext()) {
                        final String k = it.next();
                        it.remove();
                        s.model.remove(k);
                    }
                })),
                // Bad arguments: refused with the documented exception, nothing changed.
                Arbitraries.just(act("put(null, v)", s -> assertThatThrownBy(() -> s.map.put(null, "v"))
                        .isInstanceOf(NullPointerException.class).hasMessageContaining("key"))),
                keys.map(k -> act("put(k, null)", s -> assertThatThrownBy(() -> s.map.put(k, null))
                        .isInstanceOf(NullPointerException.class).hasMessageContaining("value"))),
                Arbitraries.just(act("get(null)", s -> assertThatThrownBy(() -> s.map.get(null))
                        .isInstanceOf(NullPointerException.class).hasMessageContaining("key"))),
                Arbitraries.just(act("get(42)", s -> assertThat(s.map.get(42)).isNull())),
                keys.map(k -> act("replace(k, null, v)", s -> assertThatThrownBy(() -> s.map.replace(k, null, "v"))
                        .isInstanceOf(NullPointerException.class).hasMessageContaining("oldValue"))));
        return Arbitraries.sequences(ops).ofSize(60);
    }

    private static Action<State> act(final String name, final java.util.function.Consumer<State> body) {
        return new Action<>() {
            @Override
            public State run(final State s) {
                body.accept(s);
                return s;
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }
}
