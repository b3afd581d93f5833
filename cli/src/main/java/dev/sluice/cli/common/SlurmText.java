package dev.sluice.cli.common;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** Slurm's ways of writing durations, times, sizes and fixed-width fields, in one place for all commands. */
public final class SlurmText {
    private static final DateTimeFormatter SLURM_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss");

    private SlurmText() {
    }

    /** Slurm's secs2time_str: {@code 0:05}, {@code 1:02:03}, {@code 1-00:00:00}. */
    public static String secs2time(long secs) {
        long s = secs % 60;
        long m = secs / 60 % 60;
        long h = secs / 3600 % 24;
        long d = secs / 86400;
        if (d > 0) {
            return "%d-%02d:%02d:%02d".formatted(d, h, m, s);
        }
        if (h > 0) {
            return "%d:%02d:%02d".formatted(h, m, s);
        }
        return "%d:%02d".formatted(m, s);
    }

    /** Slurm's mins2time_str (sacct's Timelimit): {@code 00:05:00}, {@code 1-00:00:00}; null is UNLIMITED. */
    public static String mins2time(Long minutes) {
        if (minutes == null) {
            return "UNLIMITED";
        }
        long m = minutes % 60;
        long h = minutes / 60 % 24;
        long d = minutes / 1440;
        return d > 0 ? "%d-%02d:%02d:00".formatted(d, h, m) : "%02d:%02d:00".formatted(h, m);
    }

    /** sacct's elapsed-time text: {@code 00:00:01}, {@code 01:02:03}, {@code 2-01:00:00}. */
    public static String elapsed(long secs) {
        long s = secs % 60;
        long m = secs / 60 % 60;
        long h = secs / 3600 % 24;
        long d = secs / 86400;
        return d > 0 ? "%d-%02d:%02d:%02d".formatted(d, h, m, s) : "%02d:%02d:%02d".formatted(h, m, s);
    }

    /** sacct's CPU-time text, with milliseconds below an hour: {@code 00:01.250}, {@code 01:00:00}. */
    public static String cpuTime(long millis) {
        long secs = millis / 1000;
        long ms = millis % 1000;
        long s = secs % 60;
        long m = secs / 60 % 60;
        long h = secs / 3600 % 24;
        long d = secs / 86400;
        if (d > 0) {
            return "%d-%02d:%02d:%02d".formatted(d, h, m, s);
        }
        if (h > 0) {
            return "%02d:%02d:%02d".formatted(h, m, s);
        }
        return "%02d:%02d.%03d".formatted(m, s, ms);
    }

    /** Slurm's convert_num_unit: a size in the given unit (K or M) scaled to the largest whole-ish unit. */
    public static String size(long value, char unit) {
        String units = "KMGTP";
        int u = units.indexOf(unit);
        double v = value;
        while (v >= 1024 && u < units.length() - 1) {
            v /= 1024;
            u++;
        }
        return (v == Math.rint(v) ? Long.toString((long) v) : "%.2f".formatted(v)) + units.charAt(u);
    }

    /** Slurm's local time stamp, {@code 2026-11-22T01:02:03}. */
    public static String time(Instant t, ZoneId zone) {
        return SLURM_TIME.format(t.atZone(zone));
    }

    /** An ISO-8601 time from a service: with zone or offset, or local (then in {@code zone}). */
    public static Instant parseInstant(String text, ZoneId zone) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return LocalDateTime.parse(text).atZone(zone).toInstant();
            } catch (DateTimeParseException e2) {
                return Instant.parse(text);
            }
        }
    }

    /**
     * squeue's _print_str: right-justified or left-justified in {@code width}, cut to the width; width 0 prints
     * the value as it is.
     */
    public static String squeueField(String value, int width, boolean right) {
        String v = value == null ? "" : value;
        if (width <= 0) {
            return v;
        }
        if (v.length() >= width) {
            return v.substring(0, width);
        }
        String pad = " ".repeat(width - v.length());
        return right ? pad + v : v + pad;
    }

    /**
     * sacct's print_fields_str: {@code |len|} wide, right-justified when len is positive, and a value too long
     * keeps its first len-1 characters and a {@code +}.
     */
    public static String sacctField(String value, int len) {
        int abs = Math.abs(len);
        String v = value == null ? " " : value;
        if (v.length() > abs) {
            v = v.substring(0, abs - 1) + "+";
        }
        String pad = " ".repeat(abs - v.length());
        return len >= 0 ? pad + v : v + pad;
    }
}
