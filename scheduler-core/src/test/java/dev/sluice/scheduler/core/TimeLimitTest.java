package dev.sluice.scheduler.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static dev.sluice.scheduler.core.Fixtures.*;
import static dev.sluice.scheduler.core.Fixtures.TestCluster.cluster;
import static org.assertj.core.api.Assertions.assertThat;

class TimeLimitTest {

    @ParameterizedTest(name = "partition \"{0}\", --time {1} -> {2} minutes (0 is unlimited)")
    @CsvSource(delimiter = '|', value = {
            "MaxTime=60 DefaultTime=10 | 30 | 30",
            "MaxTime=60 DefaultTime=10 |    | 10",
            "MaxTime=60                |    | 60",
            "MaxTime=INFINITE          |    | 0",
            "                          |  5 | 5"})
    void theEffectiveLimitIsTheJobsThenDefaultTimeThenMaxTime(String partition, Integer asked, int expected) {
        TestCluster c = cluster("PartitionName=cpu Nodes=ALL Default=YES " + (partition == null ? "" : partition),
                node("n1", cpus(1)));
        c.submit(asked == null ? job(1) : job(1).time(asked));

        assertThat(c.all(Decision.Launch.class)).singleElement()
                .satisfies(l -> assertThat(l.timeLimitMinutes()).isEqualTo(expected));
        assertThat(c.scheduler.job(1).orElseThrow().timeLimitMinutes()).isEqualTo(expected == 0 ? null : expected);
    }

    @Test
    void aJobOverThePartitionsMaxTimeWaitsWithoutBlockingOthers() {
        TestCluster c = cluster("PartitionName=cpu Nodes=ALL Default=YES MaxTime=60", node("n1", cpus(1)))
                .submit(job(1).time(61), job(2).time(60));

        assertThat(c.reason(1)).isEqualTo(Reason.PARTITION_TIME_LIMIT);
        assertThat(c.state(2)).isEqualTo(JobState.RUNNING);
    }
}
