package dev.sluice.cli.sacct;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The common forms of Slurm's time specifications (sacct -S/-E): {@code YYYY-MM-DD[THH:MM[:SS]]},
 * {@code HH:MM[:SS]} (today), {@code MM/DD[/YY]}, {@code now[+-N[seconds|minutes|hours|days|weeks]]},
 * {@code today}, {@code midnight}, {@code noon}, {@code tomorrow}.
 */
final class SlurmTimeSpec {
    private static final Pattern NOW = Pattern.compile("now(?:([+-])(\\d+)(seconds|second|sec|s|minutes|minute|min|hours|hour|h|days|day|d|weeks|week|w)?)?");
    private static final Pattern MDY = Pattern.compile("(\\d{1,2})/(\\d{1,2})(?:/(\\d{2}|\\d{4}))?");

    private SlurmTimeSpec() {
    }

    static Instant parse(String text, Instant now, ZoneId zone) {
        String t = text.trim().toLowerCase(java.util.Locale.ROOT);
        LocalDate today = now.atZone(zone).toLocalDate();
        Matcher m = NOW.matcher(t);
        if (m.matches()) {
            if (m.group(1) == null) {
                return now;
            }
            long n = Long.parseLong(m.group(2)) * ("-".equals(m.group(1)) ? -1 : 1);
            String unit = m.group(3) == null ? "s" : m.group(3);
            long secs = switch (unit.charAt(0)) {
                case 'm' -> n * 60;
                case 'h' -> n * 3600;
                case 'd' -> n * 86400;
                case 'w' -> n * 7 * 86400;
                default -> n;
            };
            return now.plusSeconds(secs);
        }
        switch (t) {
            case "today", "midnight" -> {
                return today.atStartOfDay(zone).toInstant();
            }
            case "noon" -> {
                return today.atTime(12, 0).atZone(zone).toInstant();
            }
            case "tomorrow" -> {
                return today.plusDays(1).atStartOfDay(zone).toInstant();
            }
            default -> {
            }
        }
        m = MDY.matcher(t);
        if (m.matches()) {
            int year = m.group(3) == null ? today.getYear()
                    : m.group(3).length() == 2 ? 2000 + Integer.parseInt(m.group(3)) : Integer.parseInt(m.group(3));
            return LocalDate.of(year, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)))
                    .atStartOfDay(zone).toInstant();
        }
        try {
            if (t.matches("\\d{4}-\\d{2}-\\d{2}")) {
                return LocalDate.parse(t).atStartOfDay(zone).toInstant();
            }
            if (t.matches("\\d{4}-\\d{2}-\\d{2}t\\d{2}:\\d{2}")) {
                return LocalDateTime.parse(t.toUpperCase(java.util.Locale.ROOT) + ":00").atZone(zone).toInstant();
            }
            if (t.matches("\\d{4}-\\d{2}-\\d{2}t\\d{2}:\\d{2}:\\d{2}")) {
                return LocalDateTime.parse(t.toUpperCase(java.util.Locale.ROOT)).atZone(zone).toInstant();
            }
            if (t.matches("\\d{1,2}:\\d{2}(:\\d{2})?")) {
                String padded = (t.indexOf(':') == 1 ? "0" : "") + t;
                return today.atTime(LocalTime.parse(padded)).atZone(zone).toInstant();
            }
        } catch (DateTimeParseException e) {
            // Falls through to the error below, in Slurm's words.
        }
        throw new IllegalArgumentException("Invalid time specification (pos=0): " + text);
    }
}
