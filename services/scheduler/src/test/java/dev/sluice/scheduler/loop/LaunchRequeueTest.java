package dev.sluice.scheduler.loop;

import dev.sluice.contracts.Topics;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.JobStateChanged;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.job.Owner;
import dev.sluice.contracts.job.Resources;
import dev.sluice.contracts.node.NodeRegistered;
import dev.sluice.contracts.step.StepFinished;
import dev.sluice.contracts.step.Usage;
import dev.sluice.infra.KafkaBroker;
import dev.sluice.scheduler.core.ClusterView;
import dev.sluice.scheduler.core.config.ClusterConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static dev.sluice.scheduler.loop.PolicyEventsTest.state;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node agent that could not start a job through no fault of the job (its prolog failed, it is drained) reports
 * the launch with {@code requeue}: the job goes back to PENDING with the same id, as Slurm requeues on a prolog
 * failure, instead of ending FAILED.
 */
class LaunchRequeueTest {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final ClusterConfig CONFIG =
            ClusterConfig.parse("SlurmdTimeout=3600\nPartitionName=cpu Nodes=ALL Default=YES");

    @TempDir
    Path dir;

    @Test
    void aLaunchTheNodeCouldNotRunIsRequeuedNotFailed() throws Exception {
        try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"), 0);
             EventLog log = new EventLog(broker.bootstrapServers(), Topics.JOB_EVENTS)) {
            String bootstrap = broker.bootstrapServers();
            AtomicReference<ClusterView> view = new AtomicReference<>(ClusterView.EMPTY);
            EventLog.publish(bootstrap, new NodeRegistered("n1", "b1", Instant.now(), "n1", "127.0.0.1:0", 8, 1, 8, 1,
                    List.of(0, 1, 2, 3, 4, 5, 6, 7), 8192, List.of(), List.of(), List.of()));
            try (SchedulerLoop loop = new SchedulerLoop(SchedulerLoop.Settings.defaults(bootstrap), CONFIG,
                    Clock.systemUTC(), view::set).start()) {
                EventLog.publish(bootstrap, job(1, null), job(2, false));
                log.await(WAIT, "jobs 1 and 2 running", l -> running(l, 1) && running(l, 2));
                EventLog.publish(bootstrap,
                        new StepFinished(1, "batch", "n1", Instant.now(), JobState.FAILED, 1, 0, Usage.NONE,
                                "launch failed: prolog /etc/p exited with status 3 for job 1; node n1 drained; "
                                        + "job requeued", true),
                        // --no-requeue: the agent does not ask, and the job fails as before
                        new StepFinished(2, "batch", "n1", Instant.now(), JobState.FAILED, 1, 0, Usage.NONE,
                                "launch failed: prolog /etc/p exited with status 3 for job 2; node n1 drained", null));
                log.await(WAIT, "job 1 pending again", l -> state(l, 1)
                        .filter(s -> s.state() == JobState.PENDING && s.previous() == JobState.REQUEUED).isPresent());
                log.await(WAIT, "job 2 failed", l -> state(l, 2).filter(s -> s.state() == JobState.FAILED).isPresent());
                List<JobState> job1 = log.all(JobStateChanged.class).stream().filter(c -> c.jobId() == 1)
                        .map(JobStateChanged::state).toList();
                assertThat(job1).contains(JobState.REQUEUED).doesNotContain(JobState.FAILED);
            }
        }
    }

    private static JobSubmitted job(long id, Boolean requeue) {
        return new JobSubmitted(id, Instant.now(), new Owner("alice", 1001, 1001),
                new JobSpec("job" + id, null, null, null, "#!/bin/sh\ntrue\n", "/tmp", null, null, Map.of(),
                        Resources.of(1, 1, null), 5, null, null, null, requeue, null, null, null, null, null,
                        null, null));
    }

    private static boolean running(EventLog log, long id) {
        return state(log, id).filter(s -> s.state() == JobState.RUNNING).isPresent();
    }
}
