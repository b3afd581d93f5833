package dev.sluice.submit.submission;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code --begin} read as Slurm's parse_time reads it, in the submit host's time zone: {@code YYYY-MM-DD[THH:MM[:SS]]},
 * {@code HH:MM[:SS]} (today, or tomorrow once that time has passed), {@code MM/DD[/YY]}, {@code MMDD[YY]},
 * {@code now[+N[seconds|minutes|hours|days|weeks]]} (seconds when no unit is given), {@code today},
 * {@code tomorrow}, {@code midnight}, {@code noon}, {@code fika} (15:00), {@code teatime} (16:00). A time in the past
 * is allowed: the job is simply eligible at once.
 */
final class BeginTime {
    private static final Pattern ISO = Pattern.compile("(\\d{4})-(\\d{2})-(\\d{2})(?:t(\\d{1,2}):(\\d{2})(?::(\\d{2}))?)?");
    private static final Pattern CLOCK = Pattern.compile("(\\d{1,2}):(\\d{2})(?::(\\d{2}))?\\s*(am|pm)?");
    private static final Pattern SLASH = Pattern.compile("(\\d{1,2})[/.](\\d{1,2})(?:[/.](\\d{2}|\\d{4}))?");
    private static final Pattern MMDD = Pattern.compile("(\\d{2})(\\d{2})(\\d{2})?");
    private static final Pattern NOW = Pattern.compile("now(?:\\+(\\d+)(seconds?|minutes?|hours?|days?|weeks?)?)?");

    private BeginTime() {
    }

    /** @throws IllegalArgumentException for anything parse_time would refuse */
    static Instant parse(String text, Clock clock) {
        String v = text.strip().toLowerCase(Locale.ROOT);
        ZonedDateTime now = ZonedDateTime.now(clock).truncatedTo(ChronoUnit.SECONDS);
        try {
            Matcher m;
            if ((m = NOW.matcher(v)).matches()) {
                if (m.group(1) == null) {
                    return now.toInstant();
                }
                long n = Long.parseLong(m.group(1));
                String unit = m.group(2) == null ? "s" : m.group(2);
                ChronoUnit u = switch (unit.charAt(0)) {
                    case 'm' -> ChronoUnit.MINUTES;
                    case 'h' -> ChronoUnit.HOURS;
                    case 'd' -> ChronoUnit.DAYS;
                    case 'w' -> ChronoUnit.WEEKS;
                    default -> ChronoUnit.SECONDS;
                };
                return u == ChronoUnit.WEEKS ? now.plusWeeks(n).toInstant() : now.plus(n, u).toInstant();
            }
            switch (v) {
                case "today":
                    return now.toLocalDate().atStartOfDay(now.getZone()).toInstant();
                case "tomorrow":
                    return now.toLocalDate().plusDays(1).atStartOfDay(now.getZone()).toInstant();
                case "midnight":
                    return nextAt(now, LocalTime.MIDNIGHT);
                case "noon":
                    return nextAt(now, LocalTime.NOON);
                case "fika":
                    return nextAt(now, LocalTime.of(15, 0));
                case "teatime":
                    return nextAt(now, LocalTime.of(16, 0));
                default:
                    break;
            }
            if ((m = ISO.matcher(v)).matches()) {
                LocalDate d = LocalDate.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                        Integer.parseInt(m.group(3)));
                LocalTime t = m.group(4) == null ? LocalTime.MIDNIGHT : LocalTime.of(Integer.parseInt(m.group(4)),
                        Integer.parseInt(m.group(5)), m.group(6) == null ? 0 : Integer.parseInt(m.group(6)));
                return LocalDateTime.of(d, t).atZone(now.getZone()).toInstant();
            }
            if ((m = CLOCK.matcher(v)).matches()) {
                int h = Integer.parseInt(m.group(1));
                if (m.group(4) != null) {
                    if (h < 1 || h > 12) {
                        throw new IllegalArgumentException(text);
                    }
                    h = h % 12 + (m.group(4).equals("pm") ? 12 : 0);
                }
                return nextAt(now, LocalTime.of(h, Integer.parseInt(m.group(2)),
                        m.group(3) == null ? 0 : Integer.parseInt(m.group(3))));
            }
            if ((m = SLASH.matcher(v)).matches() || (m = MMDD.matcher(v)).matches()) {
                int year = m.group(3) == null ? now.getYear()
                        : m.group(3).length() == 2 ? 2000 + Integer.parseInt(m.group(3)) : Integer.parseInt(m.group(3));
                LocalDate d = LocalDate.of(year, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
                if (m.group(3) == null && d.isBefore(now.toLocalDate())) {
                    d = d.plusYears(1);
                }
                return d.atStartOfDay(now.getZone()).toInstant();
            }
        } catch (java.time.DateTimeException | ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException(text, e);
        }
        throw new IllegalArgumentException(text);
    }

    private static Instant nextAt(ZonedDateTime now, LocalTime t) {
        ZonedDateTime at = now.toLocalDate().atTime(t).atZone(now.getZone());
        return (at.isAfter(now) ? at : at.plusDays(1)).toInstant();
    }
}
