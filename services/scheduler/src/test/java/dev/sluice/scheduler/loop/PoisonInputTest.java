package dev.sluice.scheduler.loop;

import dev.sluice.contracts.Topics;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.JobStateChanged;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.job.Owner;
import dev.sluice.contracts.job.Resources;
import dev.sluice.contracts.node.NodeRegistered;
import dev.sluice.infra.KafkaBroker;
import dev.sluice.scheduler.core.FifoStrategy;
import dev.sluice.scheduler.core.SchedulingStrategy;
import dev.sluice.scheduler.core.config.ClusterConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A job that trips a bug in the core is skipped; every other job is still scheduled. */
class PoisonInputTest {
    private static final long POISON = 666;

    @TempDir
    Path dir;

    @Test
    void anEventTheCoreCannotHandleIsSkippedAndSchedulingGoesOn() {
        SchedulingStrategy buggy = round -> {
            if (round.pending().stream().anyMatch(j -> j.id() == POISON)) {
                throw new IllegalStateException("a bug that only job 666 triggers");
            }
            new FifoStrategy().schedule(round);
        };
        ClusterConfig config = ClusterConfig.parse("SlurmdTimeout=3600\nPartitionName=cpu Nodes=ALL Default=YES");
        try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"), 0);
             SchedulerLoop loop = new SchedulerLoop(SchedulerLoop.Settings.defaults(broker.bootstrapServers()), config,
                     Clock.systemUTC(), v -> { }, buggy).start();
             EventLog log = new EventLog(broker.bootstrapServers(), Topics.JOB_EVENTS)) {
            String bootstrap = broker.bootstrapServers();
            EventLog.publish(bootstrap, new NodeRegistered("n1", "b1", Instant.now(), "n1", "127.0.0.1:0", 8, 1, 8, 1,
                    List.of(0, 1, 2, 3, 4, 5, 6, 7), 8192, List.of(), List.of(), List.of()));
            EventLog.publish(bootstrap, job(665), job(POISON), job(667));

            log.await(Duration.ofSeconds(60), "jobs 665 and 667 running",
                    l -> running(l, 665) && running(l, 667));

            EventLog.publish(bootstrap, job(668));
            log.await(Duration.ofSeconds(60), "job 668 running", l -> running(l, 668));
            assertThat(log.all(JobStateChanged.class)).noneMatch(s -> s.jobId() == POISON);
            assertThat(loop.ready()).isTrue();
        }
    }

    private static boolean running(EventLog log, long id) {
        return log.all(JobStateChanged.class).stream().anyMatch(s -> s.jobId() == id && s.state() == JobState.RUNNING);
    }

    private static JobSubmitted job(long id) {
        return new JobSubmitted(id, Instant.now(), new Owner("some_user", 1001, 1001),
                new JobSpec("job" + id, null, null, null, "#!/bin/sh\ntrue\n", "/tmp", null, null, Map.of(),
                        Resources.of(1, 1, null), 5));
    }
}
