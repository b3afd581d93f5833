package dev.sluice.accounting.sacct;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TimeSpecTest {
    // Seoul has no daylight saving and a non-zero offset, so a zone mistake shows up as a 9-hour error.
    private static final ZonedDateTime NOW = ZonedDateTime.of(2026, 11, 22, 15, 30, 0, 0, ZoneId.of("Asia/Seoul"));

    @Test
    void wordsAreReadInTheServerZone() {
        assertThat(TimeSpec.parse("now", NOW)).isEqualTo(Instant.parse("2026-11-22T06:30:00Z"));
        assertThat(TimeSpec.parse("today", NOW)).isEqualTo(Instant.parse("2026-11-21T15:00:00Z"));
        assertThat(TimeSpec.parse("midnight", NOW)).isEqualTo(Instant.parse("2026-11-21T15:00:00Z"));
        assertThat(TimeSpec.parse("noon", NOW)).isEqualTo(Instant.parse("2026-11-22T03:00:00Z"));
        assertThat(TimeSpec.parse("tomorrow", NOW)).isEqualTo(Instant.parse("2026-11-22T15:00:00Z"));
    }

    @Test
    void relativeToNowLikeSlurm() {
        assertThat(TimeSpec.parse("now-2hours", NOW)).isEqualTo(Instant.parse("2026-11-22T04:30:00Z"));
        assertThat(TimeSpec.parse("now-3days", NOW)).isEqualTo(Instant.parse("2026-11-19T06:30:00Z"));
        assertThat(TimeSpec.parse("now+90", NOW)).isEqualTo(Instant.parse("2026-11-22T06:31:30Z"));
    }

    @Test
    void isoDatesAndTimes() {
        assertThat(TimeSpec.parse("2026-11-01", NOW)).isEqualTo(Instant.parse("2026-10-31T15:00:00Z"));
        assertThat(TimeSpec.parse("2026-11-01T08:15", NOW)).isEqualTo(Instant.parse("2026-10-31T23:15:00Z"));
        assertThat(TimeSpec.parse("2026-11-01T08:15:30", NOW)).isEqualTo(Instant.parse("2026-10-31T23:15:30Z"));
        assertThat(TimeSpec.parse("2026-11-01T08:15:30Z", NOW)).isEqualTo(Instant.parse("2026-11-01T08:15:30Z"));
        assertThat(TimeSpec.parse("2026-11-01T08:15:30+02:00", NOW))
                .isEqualTo(Instant.parse("2026-11-01T06:15:30Z"));
        assertThat(TimeSpec.parse("9:05", NOW)).isEqualTo(Instant.parse("2026-11-22T00:05:00Z"));
    }

    @Test
    void nonsenseIsRejectedInSlurmWords() {
        assertThatThrownBy(() -> TimeSpec.parse("yesterdayy", NOW))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Invalid time specification: yesterdayy");
        assertThatThrownBy(() -> TimeSpec.parse("2026-13-01", NOW))
                .hasMessage("Invalid time specification: 2026-13-01");
        assertThatThrownBy(() -> TimeSpec.parse("25:00", NOW)).hasMessage("Invalid time specification: 25:00");
    }
}
