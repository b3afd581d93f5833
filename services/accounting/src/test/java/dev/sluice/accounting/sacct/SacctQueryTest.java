package dev.sluice.accounting.sacct;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SacctQueryTest {
    private static final ZonedDateTime NOW = ZonedDateTime.of(2026, 11, 22, 15, 30, 0, 0, ZoneId.of("Asia/Seoul"));

    private static SacctQuery parse(String jobs, String user, String state, String start, String end) {
        return SacctQuery.parse(jobs, user, null, null, state, start, end, false, NOW);
    }

    @Test
    void withoutJobsOrStartTheWindowOpensAtLocalMidnight() {
        SacctQuery q = parse(null, null, null, null, null);
        assertThat(q.start()).isEqualTo(Instant.parse("2026-11-21T15:00:00Z"));
        assertThat(q.end()).isEqualTo(NOW.toInstant());
    }

    @Test
    void jobsAloneLookAtAllTime() {
        SacctQuery q = parse("42,43.batch,42", null, null, null, null);
        assertThat(q.jobs()).containsExactly(42L, 43L);
        assertThat(q.start()).isNull();
    }

    @Test
    void statesAcceptShortNamesAndListsAreTrimmed() {
        SacctQuery q = parse(null, "alice, bob", "CD,f,CANCELED", "now-1day", null);
        assertThat(q.states()).containsExactly("COMPLETED", "FAILED", "CANCELLED");
        assertThat(q.users()).isEqualTo(List.of("alice", "bob"));
    }

    @Test
    void badParametersSayWhatIsWrong() {
        assertThatThrownBy(() -> parse(null, null, null, "yesterdayy", null))
                .hasMessage("Invalid time specification: yesterdayy");
        assertThatThrownBy(() -> parse(null, null, "DONE", null, null))
                .hasMessage("Invalid job state specified: DONE");
        assertThatThrownBy(() -> parse("abc", null, null, null, null)).hasMessage("Invalid job id: abc");
        assertThatThrownBy(() -> parse(null, null, null, "2026-11-23", "2026-11-22"))
                .hasMessageStartingWith("Start time (");
    }
}
