package org.smr4j.demo.report;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.smr4j.demo.report.Comparison.Phase;
import org.smr4j.demo.report.Comparison.Row;
import org.smr4j.netinet.ConnectionTable.Strategy;

/**
 * The three lines under the comparison table, computed from its rows (nothing here is canned:
 * every word that ranks one strategy against another comes from a ratio of this run):
 * <ol>
 *   <li>pserialize + {@code PR_PSERIALIZE} against the better of the SMR modes (SMR + the SMR
 *       pool), on lookups and on churn, per phase;</li>
 *   <li>both against the garbage-collected baselines: {@code ConcurrentHashMap} and the
 *       reader-writer lock;</li>
 *   <li>what each kind of table costs in memory: blocks created, blocks pending, heap per
 *       churn operation, collector pauses.</li>
 * </ol>
 * A ratio within {@link Comparison#LEVEL} of 1 is "level"; on this noisy two-core machine even
 * that band is narrow, and the table's spread columns say how far to trust a ratio.
 */
final class Verdict {

    private static final List<Strategy> SMR = List.of(Strategy.SMR_DEFAULT, Strategy.SMR_LAZY);

    private Verdict() {
    }

    static List<String> of(final List<Phase> phases, final List<Row> rows) {
        final List<String> out = new ArrayList<>(3);
        final Strategy smr = bestSmr(phases, rows);
        final boolean pser = present(rows, Strategy.PSERIALIZE);
        out.add(pserializeVsSmr(phases, rows, smr, pser));
        out.add(againstBaselines(phases, rows, smr, pser));
        out.add(memory(rows));
        return out;
    }

    /** The SMR mode with the larger product of lookups/s and churn/s over every phase, or null. */
    private static Strategy bestSmr(final List<Phase> phases, final List<Row> rows) {
        Strategy best = null;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (final Strategy s : SMR) {
            if (!present(rows, s)) {
                continue;
            }
            double score = 0;
            for (final Phase p : phases) {
                final Row r = find(rows, p.name(), s);
                score += Math.log(Math.max(1e-9, r.lookupsPerSecond())) + Math.log(Math.max(1e-9, r.churnPerSecond()));
            }
            if (score > bestScore) {
                bestScore = score;
                best = s;
            }
        }
        return best;
    }

    private static String pserializeVsSmr(final List<Phase> phases, final List<Row> rows, final Strategy smr,
            final boolean pser) {
        if (smr == null || !pser) {
            return "pserialize vs SMR: not compared, this run has " + (pser ? "no SMR strategy" : "no PSERIALIZE")
                    + " (--strategies).";
        }
        final StringBuilder sb = new StringBuilder("pserialize vs SMR: PSERIALIZE did ");
        final List<Double> lookups = new ArrayList<>();
        final List<Double> churn = new ArrayList<>();
        for (int i = 0; i < phases.size(); i++) {
            final Phase p = phases.get(i);
            final Row a = find(rows, p.name(), Strategy.PSERIALIZE);
            final Row b = find(rows, p.name(), smr);
            final double l = Format.ratioValue(a.lookupsPerSecond(), b.lookupsPerSecond());
            final double c = Format.ratioValue(a.churnPerSecond(), b.churnPerSecond());
            lookups.add(l);
            churn.add(c);
            sb.append(i == 0 ? "" : i == phases.size() - 1 ? " and " : ", ").append(Format.ratio(l, 1))
                    .append(" the lookups and ").append(Format.ratio(c, 1)).append(" the churn of ").append(smr)
                    .append(" under ").append(phaseWords(p));
        }
        sb.append(" (").append(smr).append(" is the faster SMR mode in this run): ")
                .append(leads("lookups", lookups, phases, "PSERIALIZE", smr.name())).append(", ")
                .append(leads("churn", churn, phases, "PSERIALIZE", smr.name())).append('.');
        return sb.toString();
    }

    private static String againstBaselines(final List<Phase> phases, final List<Row> rows, final Strategy smr,
            final boolean pser) {
        final boolean chm = present(rows, Strategy.CONCURRENT_HASH_MAP);
        final boolean rw = present(rows, Strategy.RW_LOCK);
        final List<Strategy> subjects = new ArrayList<>();
        if (smr != null) {
            subjects.add(smr);
        }
        if (pser) {
            subjects.add(Strategy.PSERIALIZE);
        }
        if (subjects.isEmpty() || !chm && !rw) {
            return "Against the baselines: not compared, this run has no "
                    + (subjects.isEmpty() ? "SMR or PSERIALIZE strategy" : "CONCURRENT_HASH_MAP or RW_LOCK")
                    + " (--strategies).";
        }
        final StringBuilder sb = new StringBuilder();
        if (chm) {
            sb.append("Against ConcurrentHashMap with the GC: ");
            against(sb, phases, rows, subjects, Row::lookupsVsChm, Row::churnVsChm, "it");
        }
        if (rw) {
            sb.append(chm ? "; against the RW lock: " : "Against the RW lock: ");
            against(sb, phases, rows, subjects, Row::lookupsVsRw, Row::churnVsRw, "it");
        }
        return sb.append('.').toString();
    }

    /** "SMR_LAZY looks up ahead of it and churns behind it (1.21x/0.80x churn, ...)". */
    private static void against(final StringBuilder sb, final List<Phase> phases, final List<Row> rows,
            final List<Strategy> subjects, final ToDoubleFunction<Row> lookups, final ToDoubleFunction<Row> churn,
            final String it) {
        for (int k = 0; k < subjects.size(); k++) {
            final Strategy s = subjects.get(k);
            final List<Double> l = new ArrayList<>();
            final List<Double> c = new ArrayList<>();
            for (final Phase p : phases) {
                final Row r = find(rows, p.name(), s);
                l.add(lookups.applyAsDouble(r));
                c.add(churn.applyAsDouble(r));
            }
            sb.append(k == 0 ? "" : ", ").append(s).append(" looks up ").append(words(l, phases, it))
                    .append(" and churns ").append(words(c, phases, it)).append(" (");
            for (int i = 0; i < phases.size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(Format.ratio(l.get(i), 1)).append('/')
                        .append(Format.ratio(c.get(i), 1)).append(' ').append(phases.get(i).name());
            }
            sb.append(')');
        }
    }

    private static String memory(final List<Row> rows) {
        final List<Row> pooled = rows.stream().filter(r -> !r.garbageCollected()).toList();
        final List<Row> collected = rows.stream().filter(Row::garbageCollected).toList();
        final StringBuilder sb = new StringBuilder("Memory: ");
        if (!pooled.isEmpty()) {
            final Row most = maxBy(pooled, Row::blocksCreated);
            sb.append("the pooled tables created at most ").append(Format.count(most.blocksCreated()))
                    .append(" blocks in a measured run (").append(most.strategy()).append(", ").append(most.phase())
                    .append("), held at most ").append(Format.count(maxBy(pooled, Row::pendingPeak).pendingPeak()))
                    .append(" removed blocks pending and allocated at most ")
                    .append(Format.bytes(maxBy(pooled, Row::bytesPerChurn).bytesPerChurn())).append(" B per churn");
        }
        if (!collected.isEmpty()) {
            final Row most = maxBy(collected, Row::blocksCreated);
            sb.append(pooled.isEmpty() ? "" : "; ")
                    .append("the garbage-collected tables created up to ").append(Format.count(most.blocksCreated())).append(" (")
                    .append(most.strategy()).append(", ").append(most.phase()).append(": one per connection), ")
                    .append("allocated up to ").append(Format.bytes(maxBy(collected, Row::bytesPerChurn).bytesPerChurn()))
                    .append(" B per churn and paused up to ")
                    .append(Format.fmt("%.0f", maxBy(collected, Row::gcPauseMillis).gcPauseMillis()))
                    .append(" ms for the collector per run");
            if (!pooled.isEmpty()) {
                sb.append(" (pooled: up to ").append(Format.fmt("%.0f", maxBy(pooled, Row::gcPauseMillis).gcPauseMillis()))
                        .append(" ms)");
            }
        }
        return sb.append('.').toString();
    }

    // ------------------------------------------------------------------ words

    private static String phaseWords(final Phase p) {
        return switch (p.name()) {
            case "churn" -> "churn";
            case "flood" -> "the SYN flood";
            default -> p.name();
        };
    }

    /**
     * "ahead of it" when every phase says so; where the phases disagree, each phase's word:
     * "ahead of it under churn and behind it under the SYN flood" (a median of two phases
     * that disagree would call 1.50x and 0.80x "ahead").
     */
    static String words(final List<Double> ratios, final List<Phase> phases, final String it) {
        final List<String> w = ratios.stream().map(Verdict::word).toList();
        if (w.stream().distinct().count() <= 1) {
            return (w.isEmpty() ? word(Double.NaN) : w.getFirst()) + ' ' + it;
        }
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < w.size(); i++) {
            sb.append(i == 0 ? "" : i == w.size() - 1 ? " and " : ", ").append(w.get(i)).append(' ').append(it)
                    .append(" under ").append(phaseWords(phases.get(i)));
        }
        return sb.toString();
    }

    /** {@link #lead} over the phases: one answer where they agree, else one per phase. */
    private static String leads(final String what, final List<Double> ratios, final List<Phase> phases, final String a,
            final String b) {
        final List<String> l = ratios.stream().map(r -> lead(what, r, a, b)).toList();
        if (l.stream().distinct().count() <= 1) {
            return l.isEmpty() ? lead(what, Double.NaN, a, b) : l.getFirst();
        }
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < l.size(); i++) {
            sb.append(i == 0 ? "" : i == l.size() - 1 ? " and " : ", ").append(l.get(i)).append(" under ")
                    .append(phaseWords(phases.get(i)));
        }
        return sb.toString();
    }

    /** "SMR_LAZY leads on lookups" from a ratio a/b. */
    private static String lead(final String what, final double ratio, final String a, final String b) {
        if (!Double.isFinite(ratio)) {
            return "no " + what + " figure";
        }
        if (ratio > 1 + Comparison.LEVEL) {
            return a + " leads on " + what;
        }
        if (ratio < 1 - Comparison.LEVEL) {
            return b + " leads on " + what;
        }
        return "level on " + what;
    }

    /** "ahead of", "level with" or "behind" for a ratio. */
    static String word(final double ratio) {
        if (!Double.isFinite(ratio)) {
            return "not compared with";
        }
        if (ratio > 1 + Comparison.LEVEL) {
            return "ahead of";
        }
        if (ratio < 1 - Comparison.LEVEL) {
            return "behind";
        }
        return "level with";
    }

    private static Row maxBy(final List<Row> rows, final ToDoubleFunction<Row> f) {
        Row best = rows.getFirst();
        for (final Row r : rows) {
            if (f.applyAsDouble(r) > f.applyAsDouble(best)) {
                best = r;
            }
        }
        return best;
    }

    private static boolean present(final List<Row> rows, final Strategy s) {
        return rows.stream().anyMatch(r -> r.strategy() == s);
    }

    private static Row find(final List<Row> rows, final String phase, final Strategy s) {
        for (final Row r : rows) {
            if (r.phase().equals(phase) && r.strategy() == s) {
                return r;
            }
        }
        throw new IllegalStateException("no row for " + s + " in phase " + phase);
    }
}
