package org.smr4j.demo.churn;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one JSON mapper of the demo (Jackson): records are written by their components, times
 * as ISO-8601 strings ({@code "2026-12-01T10:00:00Z"}, {@code "PT2S"}), non-finite numbers as
 * the strings {@code "NaN"} and {@code "Infinity"} (which read back as such), and unknown
 * properties are refused on reading, so that a fork and its parent that disagree on a record
 * fail loudly instead of dropping a figure.
 */
public final class Json {

    /** The mapper; thread-safe once configured. */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private Json() {
    }

    /**
     * @param value a record (or list, map, ...) of the demo
     * @return it as compact JSON
     */
    public static String write(final Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    /**
     * Writes {@code value} to {@code file}, indented.
     *
     * @param file the file, replaced if present
     * @param value the value
     */
    public static void write(final Path file, final Object value) {
        try {
            Files.writeString(file, MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value) + "\n",
                    StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /**
     * @param <T> the type
     * @param json what {@link #write(Object)} wrote
     * @param type its type
     * @return the value
     * @throws IllegalArgumentException if {@code json} is not a {@code type}
     */
    public static <T> T read(final String json, final Class<T> type) {
        try {
            return MAPPER.readValue(json, type);
        } catch (final JsonProcessingException e) {
            throw new IllegalArgumentException("not a " + type.getSimpleName() + " in JSON: " + e.getOriginalMessage(),
                    e);
        }
    }

    /**
     * @param <T> the type
     * @param file a file {@link #write(Path, Object)} wrote
     * @param type its type
     * @return the value
     */
    public static <T> T read(final Path file, final Class<T> type) {
        try {
            return read(Files.readString(file, StandardCharsets.UTF_8), type);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
