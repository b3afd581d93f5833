package dev.sluice.scheduler.loop;

import dev.sluice.contracts.Topics;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobState;
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
 * sbatch's --dependency, as submit puts it in JobSubmitted, reaches the core through Kafka. (--array is not here:
 * Outputs cannot yet launch a task whose job id has no JobSubmitted of its own.)
 */
class SubmitOptionsTest {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final ClusterConfig CONFIG =
            ClusterConfig.parse("SlurmdTimeout=3600\nPartitionName=cpu Nodes=ALL Default=YES");

    @TempDir
    Path dir;

    @Test
    void anAfterokJobWaitsWithReasonDependencyAndRunsOnceItsDependencyCompleted() throws Exception {
        try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"), 0);
             EventLog log = new EventLog(broker.bootstrapServers(), Topics.JOB_EVENTS)) {
            String bootstrap = broker.bootstrapServers();
            AtomicReference<ClusterView> view = new AtomicReference<>(ClusterView.EMPTY);
            EventLog.publish(bootstrap, new NodeRegistered("n1", "b1", Instant.now(), "n1", "127.0.0.1:0", 8, 1, 8, 1,
                    List.of(0, 1, 2, 3, 4, 5, 6, 7), 8192, List.of(), List.of(), List.of()));
            try (SchedulerLoop loop = new SchedulerLoop(SchedulerLoop.Settings.defaults(bootstrap), CONFIG,
                    Clock.systemUTC(), view::set).start()) {
                EventLog.publish(bootstrap, job(1, null, null), job(2, "afterok:1", null));
                log.await(WAIT, "job 1 running", l -> running(l, 1));
                log.await(WAIT, "job 2 waiting on its dependency",
                        l -> state(l, 2).filter(s -> s.state() == JobState.PENDING
                                && "Dependency".equals(s.reason())).isPresent());
                finish(bootstrap, 1);
                log.await(WAIT, "job 2 running once job 1 completed", l -> running(l, 2));
            }
        }
    }

    @Test
    void aJobSubmittedHeldNeverStartsEvenBeforeSubmitsHoldCommandArrives() throws Exception {
        try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"), 0);
             EventLog log = new EventLog(broker.bootstrapServers(), Topics.JOB_EVENTS)) {
            String bootstrap = broker.bootstrapServers();
            AtomicReference<ClusterView> view = new AtomicReference<>(ClusterView.EMPTY);
            EventLog.publish(bootstrap, new NodeRegistered("n1", "b1", Instant.now(), "n1", "127.0.0.1:0", 8, 1, 8, 1,
                    List.of(0, 1, 2, 3, 4, 5, 6, 7), 8192, List.of(), List.of(), List.of()));
            try (SchedulerLoop loop = new SchedulerLoop(SchedulerLoop.Settings.defaults(bootstrap), CONFIG,
                    Clock.systemUTC(), view::set).start()) {
                // only the JobSubmitted with hold set: submit's JobHoldRequested has not arrived
                EventLog.publish(bootstrap, held(3));
                log.await(WAIT, "job 3 held by its user",
                        l -> state(l, 3).filter(s -> s.state() == JobState.PENDING
                                && "JobHeldUser".equals(s.reason())).isPresent());
                EventLog.publish(bootstrap, job(4, null, null));
                log.await(WAIT, "job 4 running beside it", l -> running(l, 4));
                assertThat(running(log, 3)).as("a held job never runs").isFalse();
            }
        }
    }

    private static JobSubmitted held(long id) {
        return new JobSubmitted(id, Instant.now(), new Owner("alice", 1001, 1001),
                new JobSpec("job" + id, null, null, null, "#!/bin/sh\ntrue\n", "/tmp", null, null, Map.of(),
                        Resources.of(1, 1, null), 5, null, null, true, null, null, null, null, null, null,
                        null, null));
    }

    private static JobSubmitted job(long id, String dependency, String array) {
        return new JobSubmitted(id, Instant.now(), new Owner("alice", 1001, 1001),
                new JobSpec("job" + id, null, null, null, "#!/bin/sh\ntrue\n", "/tmp", null, null, Map.of(),
                        Resources.of(1, 1, null), 5, dependency, null, null, null, null, null, null, null, null,
                        array, null));
    }

    private static void finish(String bootstrap, long id) {
        EventLog.publish(bootstrap, new StepFinished(id, "batch", "n1", Instant.now(), JobState.COMPLETED, 0, 0,
                Usage.NONE, null));
    }

    private static boolean running(EventLog log, long id) {
        return state(log, id).filter(s -> s.state() == JobState.RUNNING).isPresent();
    }
}
