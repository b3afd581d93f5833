package dev.sluice.scheduler.loop;

import dev.sluice.contracts.Topics;
import dev.sluice.contracts.accounting.QosChanged;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.JobStateChanged;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.job.Owner;
import dev.sluice.contracts.job.Resources;
import dev.sluice.contracts.node.NodeRegistered;
import dev.sluice.infra.KafkaBroker;
import dev.sluice.scheduler.core.config.ClusterConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** sacctmgr's limits reach the scheduler as accounting events and hold jobs with Slurm's reasons. */
class PolicyEventsTest {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final ClusterConfig CONFIG =
            ClusterConfig.parse("SlurmdTimeout=3600\nPartitionName=cpu Nodes=ALL Default=YES");

    @TempDir
    Path dir;

    @Test
    void aQosMaxJobsPerUserOfTwoMakesTheThirdJobWaitAndTheLimitSurvivesARestart() {
        try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"), 0);
             EventLog log = new EventLog(broker.bootstrapServers(), Topics.JOB_EVENTS)) {
            String bootstrap = broker.bootstrapServers();
            EventLog.publish(bootstrap, new NodeRegistered("n1", "b1", Instant.now(), "n1", "127.0.0.1:0", 8, 1, 8, 1,
                    List.of(0, 1, 2, 3, 4, 5, 6, 7), 8192, List.of(), List.of(), List.of()));
            EventLog.publish(bootstrap, new QosChanged("normal", 0, "normal",
                    Map.of("MaxJobsPerUser", "2", "MaxTRESPerUser", "gres/gpu=4"), false, Instant.now()));
            try (SchedulerLoop loop = new SchedulerLoop(SchedulerLoop.Settings.defaults(bootstrap), CONFIG,
                    Clock.systemUTC(), v -> { }).start()) {
                EventLog.publish(bootstrap, job(1, "alice"), job(2, "alice"), job(3, "alice"), job(4, "bob"));

                log.await(WAIT, "jobs 1, 2 and bob's 4 running, 3 waiting for the QoS", l ->
                        state(l, 1).filter(s -> s.state() == JobState.RUNNING).isPresent()
                                && state(l, 2).filter(s -> s.state() == JobState.RUNNING).isPresent()
                                && state(l, 4).filter(s -> s.state() == JobState.RUNNING).isPresent()
                                && state(l, 3).filter(s -> "QOSMaxJobsPerUserLimit".equals(s.reason())).isPresent());
                assertThat(state(log, 3).orElseThrow().state()).isEqualTo(JobState.PENDING);
            }
            // A restarted scheduler still knows the QoS (the accounting topic is not re-read): alice's fourth job
            // waits as well, while a user under no limit still runs.
            try (SchedulerLoop loop = new SchedulerLoop(SchedulerLoop.Settings.defaults(bootstrap), CONFIG,
                    Clock.systemUTC(), v -> { }).start()) {
                EventLog.publish(bootstrap, job(5, "alice"), job(6, "carol"));
                log.await(WAIT, "carol's job 6 running, alice's 5 waiting for the QoS", l ->
                        state(l, 6).filter(s -> s.state() == JobState.RUNNING).isPresent()
                                && state(l, 5).filter(s -> "QOSMaxJobsPerUserLimit".equals(s.reason())).isPresent());

                // Lifting the limit lets the waiting jobs run.
                EventLog.publish(bootstrap, new QosChanged("normal", 0, "normal", Map.of(), false, Instant.now()));
                log.await(WAIT, "jobs 3 and 5 running once the limit is gone", l ->
                        state(l, 3).filter(s -> s.state() == JobState.RUNNING).isPresent()
                                && state(l, 5).filter(s -> s.state() == JobState.RUNNING).isPresent());
            }
        }
    }

    static Optional<JobStateChanged> state(EventLog log, long id) {
        return log.all(JobStateChanged.class).stream().filter(s -> s.jobId() == id)
                .reduce((a, b) -> b.version() >= a.version() ? b : a);
    }

    static JobSubmitted job(long id, String user) {
        return new JobSubmitted(id, Instant.now(), new Owner(user, 1001, 1001),
                new JobSpec("job" + id, null, null, null, "#!/bin/sh\ntrue\n", "/tmp", null, null, Map.of(),
                        Resources.of(1, 1, null), 5));
    }
}
