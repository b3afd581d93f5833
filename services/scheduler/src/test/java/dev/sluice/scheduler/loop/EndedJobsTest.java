package dev.sluice.scheduler.loop;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class EndedJobsTest {
    @Test
    void endedIdsMergeIntoRangesAndAreRemembered() {
        EndedJobs ended = new EndedJobs();
        for (long id : new long[]{1, 2, 3, 5, 7, 6, 10}) {
            assertThat(ended.add(id)).isTrue();
        }
        assertThat(ended.add(2)).as("already known").isFalse();
        assertThat(ended.ranges()).containsExactly(new long[]{1, 3}, new long[]{5, 7}, new long[]{10, 10});
        ended.add(4);
        assertThat(ended.ranges()).containsExactly(new long[]{1, 7}, new long[]{10, 10});
        assertThat(ended.contains(7)).isTrue();
        assertThat(ended.contains(8)).isFalse();
        assertThat(ended.contains(0)).isFalse();
        assertThat(ended.contains(10)).isTrue();
        assertThat(ended.contains(11)).isFalse();
    }
}
