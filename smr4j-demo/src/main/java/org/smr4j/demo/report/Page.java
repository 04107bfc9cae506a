package org.smr4j.demo.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One self-contained HTML page: its style is inline, its charts are PNG files in the same
 * folder referenced by relative links, and it loads nothing from the network, so that the
 * folder can be opened, copied or attached as it is.
 */
final class Page {

    private static final String STYLE = """
            body { font-family: 'DejaVu Sans', 'Segoe UI', Helvetica, Arial, sans-serif; margin: 2em auto;
                   max-width: 1180px; padding: 0 1.5em; color: #222; line-height: 1.45; }
            h1 { font-size: 1.7em; margin-bottom: 0.2em; }
            h2 { font-size: 1.3em; margin-top: 2em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; }
            .lead { font-size: 1.08em; color: #333; }
            .verdict { background: #f4f8fb; border-left: 5px solid #0072B2; padding: 0.7em 1.1em; }
            .verdict p { margin: 0.4em 0; }
            .warn { background: #fff4e5; border-left: 5px solid #D55E00; padding: 0.6em 1em; }
            table { border-collapse: collapse; font-size: 0.86em; margin: 0.6em 0; }
            th, td { border: 1px solid #d6d6d6; padding: 0.28em 0.5em; }
            th { background: #f0f0f0; font-weight: 600; }
            td { white-space: nowrap; }
            table.info td { white-space: normal; }
            table.info code { word-break: break-all; }
            td.num { text-align: right; font-variant-numeric: tabular-nums; }
            tr.first td { border-top: 2px solid #888; }
            td.bad { background: #fde0dc; font-weight: bold; }
            td.good { background: #e3f4ea; }
            figure { margin: 1.4em 0; }
            figure img { max-width: 100%; border: 1px solid #e4e4e4; }
            figcaption { color: #444; font-size: 0.93em; margin-top: 0.3em; }
            dl.notes dt { font-weight: 600; float: left; clear: left; width: 9em; }
            dl.notes dd { margin-left: 10em; margin-bottom: 0.3em; }
            code, pre { font-family: 'DejaVu Sans Mono', Consolas, monospace; font-size: 0.9em; }
            pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; white-space: pre-wrap; }
            .swatch { display: inline-block; width: 0.9em; height: 0.9em; vertical-align: middle;
                      margin-right: 0.35em; border-radius: 2px; }
            """;

    private final StringBuilder body = new StringBuilder();
    private final String title;

    Page(final String title) {
        this.title = title;
    }

    Page heading(final String subtitle) {
        body.append("<h1>").append(Format.html(title)).append("</h1>\n");
        if (subtitle != null) {
            body.append("<p class=\"lead\">").append(subtitle).append("</p>\n");
        }
        return this;
    }

    /** Appends raw HTML (the caller escapes what it interpolates). */
    Page html(final String html) {
        body.append(html).append('\n');
        return this;
    }

    Page section(final String heading) {
        body.append("<h2>").append(Format.html(heading)).append("</h2>\n");
        return this;
    }

    Page paragraph(final String html) {
        body.append("<p>").append(html).append("</p>\n");
        return this;
    }

    Page figure(final String file, final String alt, final String caption) {
        body.append("<figure><img src=\"").append(Format.html(file)).append("\" alt=\"").append(Format.html(alt))
                .append("\"><figcaption>").append(caption).append("</figcaption></figure>\n");
        return this;
    }

    /**
     * A table of text cells.
     *
     * @param headers header cells (text)
     * @param titles a tooltip per header, or null
     * @param rows cells (text); a cell is right-aligned if it starts with a digit, sign or dash
     * @param groupColumn rows whose value in this column differs from the previous row's get a
     *        heavier top border; -1 for none
     */
    Page table(final List<String> headers, final List<String> titles, final List<List<String>> rows,
            final int groupColumn) {
        body.append("<table>\n<tr>");
        for (int i = 0; i < headers.size(); i++) {
            body.append("<th").append(titles == null ? "" : " title=\"" + Format.html(titles.get(i)) + "\"")
                    .append('>').append(Format.html(headers.get(i))).append("</th>");
        }
        body.append("</tr>\n");
        String last = null;
        for (final List<String> r : rows) {
            final boolean first = groupColumn >= 0 && last != null && !r.get(groupColumn).equals(last);
            last = groupColumn >= 0 ? r.get(groupColumn) : null;
            body.append(first ? "<tr class=\"first\">" : "<tr>");
            for (final String c : r) {
                body.append(numeric(c) ? "<td class=\"num\">" : "<td>").append(cell(c)).append("</td>");
            }
            body.append("</tr>\n");
        }
        body.append("</table>\n");
        return this;
    }

    private static boolean numeric(final String c) {
        return !c.isEmpty() && (Character.isDigit(c.charAt(0)) || c.charAt(0) == '-' || c.charAt(0) == '+'
                || c.equals("GC") || c.equals("n/a"));
    }

    /** Cells that name a strategy get its colour swatch. */
    private static String cell(final String c) {
        final java.awt.Color colour = Charts.COLOURS.get(c);
        if (colour == null) {
            return Format.html(c);
        }
        return String.format("<span class=\"swatch\" style=\"background:#%06x\"></span>%s", colour.getRGB() & 0xFFFFFF,
                Format.html(c));
    }

    /** @return the page */
    String render() {
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + Format.html(title)
                + "</title>\n<style>\n" + STYLE + "</style>\n</head>\n<body>\n" + body + "</body>\n</html>\n";
    }

    /**
     * Writes the page.
     *
     * @param file the HTML file
     */
    void write(final Path file) {
        try {
            Files.writeString(file, render(), StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
