package dev.sluice.accounting.sacct;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * sacct's {@code -S/-E} time words, read in the server's time zone the way Slurm reads them in the cluster's:
 * {@code now}, {@code now-2hours}, {@code today}, {@code midnight}, {@code noon}, {@code tomorrow},
 * {@code HH:MM[:SS]} (today), {@code YYYY-MM-DD}, {@code YYYY-MM-DDTHH:MM[:SS]} and ISO-8601 with an offset.
 */
public final class TimeSpec {
    private static final Pattern RELATIVE = Pattern.compile(
            "now([+-])(\\d+)(s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hour|hours|d|day|days|w|week|weeks)?");
    private static final Pattern CLOCK = Pattern.compile("\\d{1,2}:\\d{2}(:\\d{2})?");

    private TimeSpec() {
    }

    /** The instant {@code text} names, relative to {@code now}; throws with Slurm's wording when it names none. */
    public static Instant parse(String text, ZonedDateTime now) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        LocalDate today = now.toLocalDate();
        switch (t) {
            case "now":
                return now.toInstant();
            case "today", "midnight":
                return today.atStartOfDay(now.getZone()).toInstant();
            case "noon":
                return today.atTime(12, 0).atZone(now.getZone()).toInstant();
            case "tomorrow":
                return today.plusDays(1).atStartOfDay(now.getZone()).toInstant();
            default:
                break;
        }
        Matcher rel = RELATIVE.matcher(t);
        if (rel.matches()) {
            Duration d = unit(rel.group(3)).multipliedBy(Long.parseLong(rel.group(2)));
            return rel.group(1).equals("+") ? now.toInstant().plus(d) : now.toInstant().minus(d);
        }
        try {
            if (CLOCK.matcher(t).matches()) {
                return today.atTime(LocalTime.parse(t.length() == 4 || t.length() == 7 ? "0" + t : t))
                        .atZone(now.getZone()).toInstant();
            }
            if (t.length() == 10) {
                return LocalDate.parse(t).atStartOfDay(now.getZone()).toInstant();
            }
            String upper = text.trim().toUpperCase(Locale.ROOT);
            if (upper.endsWith("Z") || upper.matches(".*T.*[+-]\\d{2}:?\\d{2}$")) {
                return OffsetDateTime.parse(upper).toInstant();
            }
            return LocalDateTime.parse(upper).atZone(now.getZone()).toInstant();
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("Invalid time specification: " + text);
        }
    }

    private static Duration unit(String u) {
        if (u == null) {
            return Duration.ofSeconds(1);
        }
        return switch (u.charAt(0)) {
            case 's' -> Duration.ofSeconds(1);
            case 'm' -> Duration.ofMinutes(1);
            case 'h' -> Duration.ofHours(1);
            case 'd' -> Duration.ofDays(1);
            default -> Duration.ofDays(7);
        };
    }
}
