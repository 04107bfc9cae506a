package org.smr4j.demo.report;

import java.util.Locale;

/**
 * How the demo writes numbers, in one place, so that the terminal table, the HTML table and
 * the tests that compare them with the JSON agree to the character. A value that does not
 * exist (a ratio without its baseline, a count the garbage collector keeps) is written as a
 * dash or as the reason.
 */
public final class Format {

    private Format() {
    }

    /**
     * @param v a count or rate
     * @return three significant digits with k, M or G: {@code 12.3M}, {@code 950k}, {@code 4.20};
     *         a whole number below 1,000 as it is ({@code 42}); a dash if not finite
     */
    public static String si(final double v) {
        if (!Double.isFinite(v)) {
            return "-";
        }
        final double a = Math.abs(v);
        if (a >= 999.5e6) {
            return fmt("%.3g", v / 1e9) + "G";
        }
        if (a >= 999.5e3) {
            return fmt("%.3g", v / 1e6) + "M";
        }
        if (a >= 999.5) {
            return fmt("%.3g", v / 1e3) + "k";
        }
        return v == Math.rint(v) ? fmt("%.0f", v) : fmt("%.3g", v);
    }

    /**
     * @param v a value
     * @param base its baseline
     * @return {@code v / base} with two decimals and an {@code x}, e.g. {@code 1.05x}; a dash
     *         if either is missing or the baseline is not positive
     */
    public static String ratio(final double v, final double base) {
        final double r = ratioValue(v, base);
        return Double.isFinite(r) ? fmt("%.2f", r) + "x" : "-";
    }

    /**
     * @param v a value
     * @param base its baseline
     * @return {@code v / base}, or NaN if either is missing or the baseline is not positive
     */
    public static double ratioValue(final double v, final double base) {
        return Double.isFinite(v) && Double.isFinite(base) && base > 0 ? v / base : Double.NaN;
    }

    /**
     * @param ns a latency in nanoseconds, or a negative value for none
     * @return {@code 850 ns}, {@code 12.5 µs}, {@code 3.40 ms}, {@code 1.20 s}; a dash for none
     */
    public static String nanos(final double ns) {
        if (!Double.isFinite(ns) || ns < 0) {
            return "-";
        }
        if (ns < 10_000) {
            return fmt("%.0f", ns) + " ns";
        }
        if (ns < 1_000_000) {
            return fmt("%.1f", ns / 1e3) + " µs";
        }
        if (ns < 1_000_000_000) {
            return fmt("%.2f", ns / 1e6) + " ms";
        }
        return fmt("%.2f", ns / 1e9) + " s";
    }

    /**
     * @param ns nanoseconds, for an axis label
     * @return {@code 100 ns}, {@code 1 µs}, {@code 10 ms}: the shortest form, whole numbers
     *         where they are
     */
    public static String nanosShort(final double ns) {
        if (!Double.isFinite(ns) || ns < 0) {
            return "";
        }
        if (ns < 1e3) {
            return si(Math.rint(ns)) + " ns";
        }
        if (ns < 1e6) {
            return si(ns / 1e3) + " µs";
        }
        if (ns < 1e9) {
            return si(ns / 1e6) + " ms";
        }
        return si(ns / 1e9) + " s";
    }

    /**
     * @param n a count
     * @return it with thousands separators, {@code 674,198}
     */
    public static String count(final double n) {
        return Double.isFinite(n) ? String.format(Locale.ROOT, "%,.0f", n) : "-";
    }

    /**
     * @param v bytes
     * @return one decimal, {@code 96.3}; a dash if not finite
     */
    public static String bytes(final double v) {
        return Double.isFinite(v) ? fmt("%.1f", v) : "-";
    }

    /**
     * @param t an instant
     * @return it in UTC to the second, {@code 2026-12-02 07:14:47 UTC}
     */
    public static String time(final java.time.Instant t) {
        return java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT)
                .withZone(java.time.ZoneOffset.UTC).format(t);
    }

    /**
     * @param format a {@link String#format} pattern
     * @param v the value
     * @return it formatted in the root locale
     */
    public static String fmt(final String format, final double v) {
        return String.format(Locale.ROOT, format, v);
    }

    /**
     * @param s text
     * @return it with HTML's special characters escaped
     */
    public static String html(final String s) {
        final StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
