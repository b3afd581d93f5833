package dev.sluice.scheduler.loop;

import dev.sluice.contracts.Topics;
import dev.sluice.contracts.job.JobHoldRequested;
import dev.sluice.contracts.job.JobReleaseRequested;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.node.NodeRegistered;
import dev.sluice.infra.KafkaBroker;
import dev.sluice.scheduler.core.ClusterView;
import dev.sluice.scheduler.core.Input;
import dev.sluice.scheduler.core.NodeState;
import dev.sluice.scheduler.core.config.ClusterConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static dev.sluice.scheduler.loop.PolicyEventsTest.job;
import static dev.sluice.scheduler.loop.PolicyEventsTest.state;
import static org.assertj.core.api.Assertions.assertThat;

/** Draining survives a scheduler restart; hold and release commands keep a job back and let it go. */
class AdminAndHoldTest {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final ClusterConfig CONFIG =
            ClusterConfig.parse("SlurmdTimeout=3600\nPartitionName=cpu Nodes=ALL Default=YES");

    @TempDir
    Path dir;

    @Test
    void aDrainedNodeStaysDrainedAfterARestartAndAHeldJobRunsOnlyOnceReleased() throws Exception {
        try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"), 0);
             EventLog log = new EventLog(broker.bootstrapServers(), Topics.JOB_EVENTS);
             EventLog commands = new EventLog(broker.bootstrapServers(), Topics.NODE_COMMANDS)) {
            String bootstrap = broker.bootstrapServers();
            AtomicReference<ClusterView> view = new AtomicReference<>(ClusterView.EMPTY);
            EventLog.publish(bootstrap, new NodeRegistered("n1", "b1", Instant.now(), "n1", "127.0.0.1:0", 4, 1, 4, 1,
                    List.of(0, 1, 2, 3), 8192, List.of(), List.of(), List.of()));
            try (SchedulerLoop loop = new SchedulerLoop(SchedulerLoop.Settings.defaults(bootstrap), CONFIG,
                    Clock.systemUTC(), view::set).start()) {
                await(() -> loop.ready() && node(view, "n1") != null);
                loop.admin(new Input.Drain("n1", "disk replacement")).get(60, TimeUnit.SECONDS);
                assertThat(node(view, "n1").state()).isEqualTo(NodeState.DRAINED);
            }
            try (SchedulerLoop loop = new SchedulerLoop(SchedulerLoop.Settings.defaults(bootstrap), CONFIG,
                    Clock.systemUTC(), view::set).start()) {
                await(loop::ready);
                assertThat(node(view, "n1").state()).as("still drained after the restart").isEqualTo(NodeState.DRAINED);
                assertThat(node(view, "n1").reason()).isEqualTo("disk replacement");

                EventLog.publish(bootstrap, job(1, "alice"));
                log.await(WAIT, "job 1 pending on the drained cluster", l -> state(l, 1).isPresent());
                EventLog.publish(bootstrap, new JobHoldRequested(1, "root", true, Instant.now()));
                log.await(WAIT, "job 1 held", l -> state(l, 1).filter(s -> "JobHeldAdmin".equals(s.reason())).isPresent());

                loop.admin(new Input.Resume("n1")).get(60, TimeUnit.SECONDS);
                assertThat(node(view, "n1").state()).isEqualTo(NodeState.IDLE);
                commands.await(WAIT, "the resume on n1's command topic, for its agent's own drain",
                        l -> l.all(dev.sluice.contracts.node.NodeResumeRequested.class).stream()
                                .anyMatch(r -> r.node().equals("n1")));
                EventLog.publish(bootstrap, job(2, "bob"));
                log.await(WAIT, "bob's job 2 running on the resumed node",
                        l -> state(l, 2).filter(s -> s.state() == JobState.RUNNING).isPresent());
                assertThat(state(log, 1).orElseThrow().state()).as("the held job waits").isEqualTo(JobState.PENDING);

                EventLog.publish(bootstrap, new JobReleaseRequested(1, "root", true, Instant.now()));
                log.await(WAIT, "job 1 running once released",
                        l -> state(l, 1).filter(s -> s.state() == JobState.RUNNING).isPresent());
            }
        }
    }

    private static ClusterView.NodeView node(AtomicReference<ClusterView> view, String name) {
        return view.get().nodes().stream().filter(n -> n.name().equals(name)).findFirst().orElse(null);
    }

    private static void await(java.util.function.BooleanSupplier done) throws InterruptedException {
        Instant deadline = Instant.now().plus(WAIT);
        while (!done.getAsBoolean()) {
            assertThat(Instant.now()).as("waited too long").isBefore(deadline);
            Thread.sleep(100);
        }
    }
}
