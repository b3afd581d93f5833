package dev.sluice.accounting.fairshare;

import dev.sluice.scheduler.core.config.SlurmTime;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.Locale;
import java.util.Map;

/**
 * How usage ages, from slurm.conf: {@code PriorityDecayHalfLife} (default 7-0; 0 turns decay off) and, when decay
 * is off, {@code PriorityUsageResetPeriod} (NONE, NOW, DAILY, WEEKLY, MONTHLY, QUARTERLY, YEARLY).
 * <p>
 * Slurm multiplies the accumulated usage by {@code 0.5^(dt/halfLife)} every PriorityCalcPeriod and adds the new
 * billing-seconds; this is that process in the limit of a short period: a job billing {@code b} from {@code s} to
 * {@code e} contributes {@code b * H/ln2 * (2^-((now-e)/H) - 2^-((now-s)/H))} at {@code now}. Computing it from the
 * job spans instead of from a running total makes the result a pure function of the history, so a replay or a
 * restart cannot count a job twice.
 */
public record UsageDecay(Duration halfLife, String resetPeriod, ZoneId zone) {
    /** Usage older than this many half-lives weighs less than 2^-40 of its value and is left out. */
    static final int HORIZON_HALF_LIVES = 40;

    public static UsageDecay fromSettings(Map<String, String> settings, ZoneId zone) {
        String hl = settings.getOrDefault("prioritydecayhalflife", "7-0").trim();
        Integer minutes = SlurmTime.parseMinutes(hl);
        Duration halfLife = minutes == null || minutes == 0 ? null : Duration.ofMinutes(minutes);
        String reset = settings.getOrDefault("priorityusageresetperiod", "NONE").trim().toUpperCase(Locale.ROOT);
        return new UsageDecay(halfLife, reset, zone);
    }

    public boolean decays() {
        return halfLife != null;
    }

    /**
     * The moment before which usage no longer counts: with decay, the horizon; without, the last reset (Slurm
     * resets at the start of the day, week (Monday), month, quarter or year); null for NONE and NOW.
     */
    public Instant countFrom(Instant now) {
        if (decays()) {
            return now.minus(halfLife.multipliedBy(HORIZON_HALF_LIVES));
        }
        ZonedDateTime t = now.atZone(zone).truncatedTo(ChronoUnit.DAYS);
        return switch (resetPeriod) {
            case "DAILY" -> t.toInstant();
            case "WEEKLY" -> t.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY)).toInstant();
            case "MONTHLY" -> t.withDayOfMonth(1).toInstant();
            case "QUARTERLY" -> t.withDayOfMonth(1).withMonth((t.getMonthValue() - 1) / 3 * 3 + 1).toInstant();
            case "YEARLY" -> t.withDayOfYear(1).toInstant();
            default -> null;
        };
    }

    /** Decayed seconds of a span [start, end) at {@code now}; end null means still running. */
    public double seconds(Instant start, Instant end, Instant now) {
        Instant e = end == null || end.isAfter(now) ? now : end;
        Instant from = countFrom(now);
        Instant s = from != null && start.isBefore(from) ? from : start;
        if (!e.isAfter(s)) {
            return 0;
        }
        if (!decays()) {
            return Duration.between(s, e).toMillis() / 1000.0;
        }
        double h = halfLife.toMillis() / 1000.0;
        double ageEnd = Duration.between(e, now).toMillis() / 1000.0;
        double ageStart = Duration.between(s, now).toMillis() / 1000.0;
        return h / Math.log(2) * (Math.pow(2, -ageEnd / h) - Math.pow(2, -ageStart / h));
    }
}
