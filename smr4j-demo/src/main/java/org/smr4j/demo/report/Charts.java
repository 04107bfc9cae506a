package org.smr4j.demo.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.text.FieldPosition;
import java.text.NumberFormat;
import java.text.ParsePosition;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The report's charts, drawn with JFreeChart into PNG files: line charts over time (one line
 * per strategy and repetition, the repetitions of a strategy in its colour, the first solid and
 * the others dashed, one legend entry per strategy), and grouped bar charts. Every chart has a
 * title, axis labels with units, a legend, and the colours of {@link #COLOURS}, the same on
 * every chart of a page.
 *
 * <p>Rendering needs no display: the caller runs with {@code java.awt.headless=true} (the
 * demo's {@code Main} sets it).
 */
public final class Charts {

    /**
     * A colour per series name (strategy), from Okabe and Ito's palette for colour-blind
     * readers; the baselines get the darkest and the pinkest. The off-heap scenario's JDK arenas
     * take the colours of their kin (the shared arena pserialize's, the automatic arena the
     * garbage-collected map's), and its unsafe control the hazard control's red.
     */
    public static final Map<String, Color> COLOURS = Map.of(
            "SMR_DEFAULT", new Color(0x0072B2),
            "SMR_LAZY", new Color(0x009E73),
            "PSERIALIZE", new Color(0xD55E00),
            "RW_LOCK", new Color(0xCC79A7),
            "CONCURRENT_HASH_MAP", new Color(0x333333),
            "NO_DEFER", new Color(0xC00000),
            "DEFERRED", new Color(0x56B4E9),
            "SHARED_ARENA", new Color(0xD55E00),
            "AUTO_ARENA", new Color(0x333333),
            "IMMEDIATE_REUSE", new Color(0xC00000));

    /** Width of every chart, px. */
    public static final int WIDTH = 1100;
    /** Height of a single-plot chart, px. */
    public static final int HEIGHT = 460;

    private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 18);
    private static final Font SUBTITLE = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
    private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
    private static final Font TICK = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final Color GRID = new Color(0xDDDDDD);
    private static final Color[] SPARE = {new Color(0xE69F00), new Color(0xF0E442), new Color(0x56B4E9)};
    /** Colours by position, for lines that are not strategies: Okabe and Ito's eight, black last. */
    static final Color[] ORDINAL = {new Color(0xE69F00), new Color(0x56B4E9), new Color(0x009E73),
        new Color(0xD55E00), new Color(0x0072B2), new Color(0xCC79A7), new Color(0xB8A000), new Color(0x000000)};

    private Charts() {
    }

    /** @return the colour of a series name; a spare for a name not in {@link #COLOURS} */
    static Paint colour(final String name) {
        final Color c = COLOURS.get(name);
        return c != null ? c : SPARE[Math.floorMod(name.hashCode(), SPARE.length)];
    }

    /**
     * One line: a named series of (x, y) points.
     *
     * @param name the strategy (sets the colour and the legend entry)
     * @param repetition from 1; repetitions after the first are dashed and not in the legend
     * @param x x values
     * @param y y values (NaN points are skipped)
     */
    public record Line(String name, int repetition, double[] x, double[] y) {
    }

    /**
     * A plot of lines against a shared x axis.
     *
     * @param yLabel the y axis label, with its unit
     * @param lines the lines
     * @param markers horizontal lines to draw: label to y value
     * @param points draw markers instead of lines (for events such as GC pauses)
     */
    public record Panel(String yLabel, List<Line> lines, Map<String, Double> markers, boolean points) {
    }

    /**
     * Draws panels stacked over one x axis (one panel: a plain line chart).
     *
     * @param file the PNG file
     * @param title the chart's title
     * @param subtitle a line under it, or null
     * @param xLabel the x axis label, with its unit
     * @param panels the panels, top first
     */
    public static void lines(final Path file, final String title, final String subtitle, final String xLabel,
            final List<Panel> panels) {
        final NumberAxis x = new NumberAxis(xLabel);
        style(x);
        lines(file, title, subtitle, x, panels, false);
    }

    /**
     * As {@link #lines(Path, String, String, String, List)}, over a logarithmic x axis of counts
     * (ticks per decade: 1, 10, 100, 1k); x values must be positive.
     *
     * @param file the PNG file
     * @param title the chart's title
     * @param subtitle a line under it, or null
     * @param xLabel the x axis label, with its unit
     * @param panels the panels, top first
     * @param ordinal colour the lines of a panel by their position ({@link #ORDINAL}) instead of
     *        by name (for lines that are not strategies)
     */
    public static void linesLogX(final Path file, final String title, final String subtitle, final String xLabel,
            final List<Panel> panels, final boolean ordinal) {
        final LogAxis x = new LogAxis(xLabel);
        x.setBase(10);
        x.setNumberFormatOverride(decadeFormat());
        x.setSmallestValue(1);
        x.setAutoTickUnitSelection(false);
        x.setTickUnit(new NumberTickUnit(1.0)); // one tick per decade (the unit is in log10 space)
        x.setMinorTickCount(9);
        style(x);
        lines(file, title, subtitle, x, panels, ordinal);
    }

    private static void lines(final Path file, final String title, final String subtitle, final ValueAxis x,
            final List<Panel> panels, final boolean ordinal) {
        final CombinedDomainXYPlot combined = new CombinedDomainXYPlot(x);
        combined.setGap(14);
        for (final Panel p : panels) {
            final XYSeriesCollection data = new XYSeriesCollection();
            final XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(!p.points(), p.points());
            int i = 0;
            for (final Line l : p.lines()) {
                final XYSeries s = new XYSeries(l.name() + (l.repetition() > 1 ? " #" + l.repetition() : ""), false,
                        true);
                for (int k = 0; k < l.x().length; k++) {
                    if (Double.isFinite(l.y()[k])) {
                        s.add(l.x()[k], l.y()[k]);
                    }
                }
                data.addSeries(s);
                r.setSeriesPaint(i, ordinal ? ORDINAL[i % ORDINAL.length] : colour(l.name()));
                r.setSeriesStroke(i, l.repetition() > 1
                        ? new BasicStroke(1.6f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, new float[] {6f, 4f}, 0f)
                        : new BasicStroke(2.0f));
                r.setSeriesShape(i, dot(p.points() ? 7 : 4));
                r.setSeriesVisibleInLegend(i, l.repetition() <= 1 && p == panels.getFirst());
                i++;
            }
            final NumberAxis y = new NumberAxis(p.yLabel());
            style(y);
            y.setAutoRangeIncludesZero(true);
            y.setNumberFormatOverride(siFormat());
            final XYPlot plot = new XYPlot(data, null, y, r);
            stylePlot(plot);
            for (final Map.Entry<String, Double> m : p.markers().entrySet()) {
                final ValueMarker vm = new ValueMarker(m.getValue(), new Color(0x888888),
                        new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, new float[] {3f, 3f}, 0f));
                vm.setLabel(m.getKey());
                vm.setLabelFont(TICK);
                vm.setLabelPaint(new Color(0x555555));
                vm.setLabelBackgroundColor(new Color(255, 255, 255, 210));
                vm.setLabelAnchor(org.jfree.chart.ui.RectangleAnchor.BOTTOM_RIGHT);
                vm.setLabelTextAnchor(org.jfree.chart.ui.TextAnchor.TOP_RIGHT);
                plot.addRangeMarker(vm);
                y.setUpperMargin(0.15);
            }
            combined.add(plot, 1);
        }
        final JFreeChart chart = new JFreeChart(title, TITLE, combined, true);
        finish(chart, subtitle);
        save(file, chart, WIDTH, panels.size() > 1 ? HEIGHT + 240 * (panels.size() - 1) : HEIGHT);
    }

    /**
     * A grouped bar chart.
     *
     * @param file the PNG file
     * @param title the title
     * @param subtitle a line under it, or null
     * @param categoryLabel the category axis label
     * @param valueLabel the value axis label, with its unit
     * @param categories the groups along the axis
     * @param series the bars of each group: name (strategy) to one value per category
     *        (NaN: no bar)
     * @param log a logarithmic value axis of nanoseconds (ticks per decade: 100 ns, 1 µs, ...);
     *        false: a linear axis of counts
     * @param labels print each bar's value on it
     */
    public static void bars(final Path file, final String title, final String subtitle, final String categoryLabel,
            final String valueLabel, final List<String> categories, final Map<String, double[]> series,
            final boolean log, final boolean labels) {
        bars(file, title, subtitle, categoryLabel, valueLabel, categories, series, log ? nanosFormat() : null, labels);
    }

    /**
     * A grouped bar chart on a logarithmic axis of counts or rates (ticks per decade: 1, 10,
     * 100, 1k, ...), for values that differ by orders of magnitude.
     *
     * @param file the PNG file
     * @param title the title
     * @param subtitle a line under it, or null
     * @param categoryLabel the category axis label
     * @param valueLabel the value axis label, with its unit
     * @param categories the groups along the axis
     * @param series the bars of each group: name (strategy) to one value per category
     *        (NaN or not positive: no bar)
     * @param labels print each bar's value on it
     */
    public static void barsLogCounts(final Path file, final String title, final String subtitle,
            final String categoryLabel, final String valueLabel, final List<String> categories,
            final Map<String, double[]> series, final boolean labels) {
        bars(file, title, subtitle, categoryLabel, valueLabel, categories, series, decadeFormat(), labels);
    }

    /** {@code logFormat}: the tick labels of a logarithmic axis, or null for a linear axis of counts. */
    private static void bars(final Path file, final String title, final String subtitle, final String categoryLabel,
            final String valueLabel, final List<String> categories, final Map<String, double[]> series,
            final NumberFormat logFormat, final boolean labels) {
        final boolean log = logFormat != null;
        final DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (final Map.Entry<String, double[]> e : series.entrySet()) {
            for (int i = 0; i < categories.size(); i++) {
                final double v = e.getValue()[i];
                data.addValue(Double.isFinite(v) && (!log || v > 0) ? v : null, e.getKey(), categories.get(i));
            }
        }
        final CategoryAxis x = new CategoryAxis(categoryLabel);
        x.setLabelFont(LABEL);
        x.setTickLabelFont(LABEL);
        x.setMaximumCategoryLabelLines(3);
        final ValueAxis y;
        if (log) {
            final LogAxis la = new LogAxis(valueLabel);
            la.setBase(10);
            la.setNumberFormatOverride(logFormat);
            la.setSmallestValue(1);
            la.setAutoTickUnitSelection(false);
            la.setTickUnit(new NumberTickUnit(1.0)); // one tick per decade (the unit is in log10 space)
            la.setMinorTickCount(9);
            y = la;
        } else {
            final NumberAxis na = new NumberAxis(valueLabel);
            na.setNumberFormatOverride(siFormat());
            na.setUpperMargin(0.12);
            y = na;
        }
        style(y);
        final BarRenderer r = new BarRenderer();
        r.setBarPainter(new StandardBarPainter());
        r.setShadowVisible(false);
        r.setItemMargin(0.04);
        int i = 0;
        for (final String name : series.keySet()) {
            r.setSeriesPaint(i++, colour(name));
        }
        if (labels) {
            r.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}", siFormat()));
            r.setDefaultItemLabelsVisible(true);
            r.setDefaultItemLabelFont(TICK);
        }
        final CategoryPlot plot = new CategoryPlot(data, x, y, r);
        plot.setOrientation(PlotOrientation.VERTICAL);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(GRID);
        plot.setOutlineVisible(false);
        plot.setInsets(new RectangleInsets(8, 8, 8, 16));
        final JFreeChart chart = new JFreeChart(title, TITLE, plot, true);
        finish(chart, subtitle);
        save(file, chart, WIDTH, HEIGHT);
    }

    // ------------------------------------------------------------------ style

    private static Shape dot(final double d) {
        return new Ellipse2D.Double(-d / 2, -d / 2, d, d);
    }

    private static void style(final ValueAxis a) {
        a.setLabelFont(LABEL);
        a.setTickLabelFont(TICK);
    }

    private static void stylePlot(final XYPlot plot) {
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(GRID);
        plot.setRangeGridlinePaint(GRID);
        plot.setOutlineVisible(false);
        plot.setInsets(new RectangleInsets(4, 8, 4, 16));
    }

    private static void finish(final JFreeChart chart, final String subtitle) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.setPadding(new RectangleInsets(8, 8, 8, 8));
        if (subtitle != null) {
            final TextTitle t = new TextTitle(subtitle, SUBTITLE);
            t.setPaint(new Color(0x444444));
            chart.addSubtitle(t);
        }
        final LegendTitle legend = chart.getLegend();
        if (legend != null) {
            legend.setPosition(RectangleEdge.BOTTOM);
            legend.setItemFont(LABEL);
            legend.setFrame(BlockBorder.NONE);
        }
    }

    private static void save(final Path file, final JFreeChart chart, final int w, final int h) {
        try {
            ChartUtils.saveChartAsPNG(file.toFile(), chart, w, h);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Axis numbers with k, M, G suffixes, as the tables write them. */
    static NumberFormat siFormat() {
        return new LabelFormat(false);
    }

    /** Axis numbers as durations from nanoseconds: 100 ns, 1 µs, 10 ms. */
    static NumberFormat nanosFormat() {
        return new LabelFormat(true);
    }

    /** Decades of a logarithmic axis of counts, shortest: 1, 10, 100, 1k, 10k, 1M. */
    static NumberFormat decadeFormat() {
        return new NumberFormat() {
            private static final long serialVersionUID = 1L;

            @Override
            public StringBuffer format(final double number, final StringBuffer to, final FieldPosition pos) {
                final double a = Math.abs(number);
                final double scale = a >= 999.5e6 ? 1e9 : a >= 999.5e3 ? 1e6 : a >= 999.5 ? 1e3 : 1;
                final String unit = scale == 1e9 ? "G" : scale == 1e6 ? "M" : scale == 1e3 ? "k" : "";
                return to.append(Format.si(Math.rint(number / scale * 10) / 10)).append(unit);
            }

            @Override
            public StringBuffer format(final long number, final StringBuffer to, final FieldPosition pos) {
                return format((double) number, to, pos);
            }

            @Override
            public Number parse(final String source, final ParsePosition pos) {
                throw new UnsupportedOperationException("axis labels are not parsed");
            }
        };
    }

    /**
     * A format for axis labels only (a direct {@link NumberFormat}: {@code DecimalFormat}'s
     * fast path would bypass an override).
     */
    private static final class LabelFormat extends NumberFormat {
        private static final long serialVersionUID = 1L;
        private final boolean nanos;

        LabelFormat(final boolean nanos) {
            this.nanos = nanos;
        }

        @Override
        public StringBuffer format(final double number, final StringBuffer to, final FieldPosition pos) {
            return to.append(nanos ? Format.nanosShort(number) : Format.si(number));
        }

        @Override
        public StringBuffer format(final long number, final StringBuffer to, final FieldPosition pos) {
            return format((double) number, to, pos);
        }

        @Override
        public Number parse(final String source, final ParsePosition pos) {
            throw new UnsupportedOperationException("axis labels are not parsed");
        }
    }
}
