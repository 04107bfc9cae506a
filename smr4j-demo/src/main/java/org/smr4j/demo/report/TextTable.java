package org.smr4j.demo.report;

import java.util.List;

/** Fixed-width tables for a terminal: text columns left-aligned, the others right-aligned. */
final class TextTable {

    private TextTable() {
    }

    /**
     * @param lines the header line, then the rows; every line has as many cells as the header
     * @param textColumns how many leading columns are text (left-aligned)
     * @return the table, a blank line wherever the first column's value changes
     */
    static String render(final List<List<String>> lines, final int textColumns) {
        final int columns = lines.getFirst().size();
        final int[] width = new int[columns];
        for (final List<String> l : lines) {
            for (int i = 0; i < columns; i++) {
                width[i] = Math.max(width[i], l.get(i).length());
            }
        }
        final StringBuilder sb = new StringBuilder();
        String group = null;
        for (int k = 0; k < lines.size(); k++) {
            final List<String> l = lines.get(k);
            if (k > 1 && !l.getFirst().equals(group) && textColumns > 1) {
                sb.append('\n');
            }
            group = l.getFirst();
            final StringBuilder line = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                final String c = l.get(i);
                final String pad = " ".repeat(width[i] - c.length());
                line.append(i == 0 ? "" : "  ").append(i < textColumns ? c + pad : pad + c);
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }
}
