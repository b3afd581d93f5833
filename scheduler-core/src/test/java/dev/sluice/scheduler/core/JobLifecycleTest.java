package dev.sluice.scheduler.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.List;

import static dev.sluice.scheduler.core.Fixtures.*;
import static dev.sluice.scheduler.core.Fixtures.TestCluster.cluster;
import static dev.sluice.scheduler.core.JobState.*;
import static org.assertj.core.api.Assertions.assertThat;

class JobLifecycleTest {

    @Test
    void aStartedJobIsGrantedItsAllocationAndLaunchedOnItsFirstNode() {
        TestCluster c = cluster(node("n1", cpus(1)), node("n2", cpus(1))).submit(job(1).tasks(2));

        assertThat(c.changes(1)).extracting(Decision.StateChanged::previous, Decision.StateChanged::state,
                        Decision.StateChanged::version)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(null, PENDING, 1L),
                        org.assertj.core.groups.Tuple.tuple(PENDING, RUNNING, 2L));
        assertThat(c.lastChange(1).nodes()).containsExactly("n1", "n2");
        assertThat(c.all(Decision.AllocationGranted.class)).singleElement()
                .satisfies(g -> assertThat(g.shares()).hasSize(2));
        assertThat(c.all(Decision.Launch.class)).singleElement().satisfies(l -> {
            assertThat(l.node()).isEqualTo("n1");
            assertThat(l.allocation()).extracting(NodeShare::node).containsExactly("n1", "n2");
        });
        assertThat(c.nodeState("n1")).isEqualTo("ALLOCATED");
    }

    @ParameterizedTest(name = "batch step {0} exit {1} signal {2} ends the job {3}")
    @CsvSource({
            "COMPLETED, 0, 0, COMPLETED",
            "FAILED, 3, 0, FAILED",
            "TIMEOUT, 0, 15, TIMEOUT",
            "OUT_OF_MEMORY, 0, 9, OUT_OF_MEMORY",
            "PENDING, 1, 0, FAILED"})
    void theBatchStepsEndIsTheJobsEnd(JobState step, int exit, int signal, JobState expected) {
        TestCluster c = cluster(node("n1", cpus(2))).submit(job(1).tasks(2));
        c.handle(new Input.StepFinished(1, "batch", step, exit, signal, null));

        Decision.StateChanged end = c.lastChange(1);
        assertThat(end.state()).isEqualTo(expected);
        assertThat(end.previous()).isEqualTo(RUNNING);
        assertThat(end.exitCode()).isEqualTo(exit);
        assertThat(end.signal()).isEqualTo(signal);
        assertThat(c.scheduler.job(1)).as("a final job is forgotten").isEmpty();
        assertThat(c.last).contains(new Decision.JobForgotten(1));
        assertThat(c.nodeState("n1")).isEqualTo("IDLE");
    }

    @Test
    void otherStepsDoNotEndTheJob() {
        TestCluster c = cluster(node("n1", cpus(2))).submit(job(1));
        c.handle(new Input.StepFinished(1, "0", COMPLETED, 0, 0, null));

        assertThat(c.state(1)).isEqualTo(RUNNING);
    }

    @Test
    void cancellingAPendingJobEndsItAtOnce() {
        TestCluster c = cluster(node("n1", cpus(1))).submit(job(1), job(2)).cancel(2);

        assertThat(c.lastChange(2).state()).isEqualTo(CANCELLED);
        assertThat(c.lastChange(2).previous()).isEqualTo(PENDING);
        assertThat(c.all(Decision.Signal.class)).isEmpty();
        assertThat(c.scheduler.job(2)).isEmpty();
    }

    @Test
    void cancellingARunningJobSignalsEveryNodeAndEndsWithTheBatchStep() {
        TestCluster c = cluster(node("n1", cpus(1)), node("n2", cpus(1))).submit(job(1).tasks(2), job(2)).cancel(1);

        assertThat(c.all(Decision.Signal.class))
                .extracting(Decision.Signal::node, Decision.Signal::reason, Decision.Signal::killWaitSeconds)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("n1", "CANCELLED", 30),
                        org.assertj.core.groups.Tuple.tuple("n2", "CANCELLED", 30));
        assertThat(c.state(1)).as("still running until its processes are gone").isEqualTo(RUNNING);
        assertThat(c.state(2)).isEqualTo(PENDING);

        c.finish(1, CANCELLED, 0);
        assertThat(c.lastChange(1).state()).isEqualTo(CANCELLED);
        assertThat(c.state(2)).isEqualTo(RUNNING);
    }

    @Test
    void aCancelledJobKilledBySignalIsCancelledNotFailed() {
        TestCluster c = cluster(node("n1", cpus(1))).submit(job(1)).cancel(1);
        c.handle(new Input.StepFinished(1, "batch", FAILED, 0, 15, null));

        assertThat(c.lastChange(1).state()).isEqualTo(CANCELLED);
        assertThat(c.lastChange(1).signal()).isEqualTo(15);
    }

    @Test
    void killWaitComesFromTheSettings() {
        TestCluster c = cluster("KillWait=5\nPartitionName=cpu Nodes=ALL Default=YES", node("n1", cpus(1)))
                .submit(job(1)).cancel(1);

        assertThat(c.all(Decision.Signal.class)).singleElement()
                .satisfies(s -> assertThat(s.killWaitSeconds()).isEqualTo(5));
    }

    @Test
    void aSilentNodeGoesDownAndItsJobsEndNodeFail() {
        TestCluster c = cluster(node("n1", cpus(1)), node("n2", cpus(1))).submit(job(1).tasks(2));
        c.clock.advance(Duration.ofSeconds(50));
        c.handle(new Input.Heartbeat("n2"));

        c.after(Duration.ofSeconds(11));

        assertThat(c.nodeState("n1")).isEqualTo("DOWN (Not responding)");
        assertThat(c.nodeState("n2")).isEqualTo("IDLE");
        assertThat(c.lastChange(1).state()).isEqualTo(NODE_FAIL);
        assertThat(c.all(Decision.Signal.class)).singleElement()
                .satisfies(s -> assertThat(s).extracting(Decision.Signal::node, Decision.Signal::reason)
                        .containsExactly("n2", "NODE_FAIL"));
    }

    @Test
    void heartbeatsKeepANodeUpAndBringASilentOneBack() {
        TestCluster c = cluster(node("n1", cpus(1)));
        for (int i = 0; i < 5; i++) {
            c.clock.advance(Duration.ofSeconds(30));
            c.handle(new Input.Heartbeat("n1"), new Input.Tick());
        }
        assertThat(c.nodeState("n1")).isEqualTo("IDLE");

        c.after(Duration.ofSeconds(61));
        assertThat(c.nodeState("n1")).isEqualTo("DOWN (Not responding)");

        c.submit(job(1));
        assertThat(c.state(1)).isEqualTo(PENDING);
        c.handle(new Input.Heartbeat("n1"));
        assertThat(c.state(1)).isEqualTo(RUNNING);
    }

    @Test
    void slurmdTimeoutComesFromTheSettings() {
        TestCluster c = cluster("SlurmdTimeout=10\nPartitionName=cpu Nodes=ALL Default=YES", node("n1", cpus(1)));
        c.after(Duration.ofSeconds(11));

        assertThat(c.nodeState("n1")).isEqualTo("DOWN (Not responding)");
    }

    @Test
    void aNodeThatRestartedWithoutTheJobEndsItNodeFail() {
        TestCluster c = cluster(node("n1", cpus(2))).submit(job(1), job(2));
        c.handle(new Input.NodeRegistered("n1", "boot-2", List.of(0, 1), 8192, List.of(2L)));

        assertThat(c.lastChange(1).state()).isEqualTo(NODE_FAIL);
        assertThat(c.state(2)).as("the agent still runs job 2").isEqualTo(RUNNING);
    }

    @Test
    void aLostNodeThatComesBackIsToldToKillWhatItStillRunsAndItsStaleEndIsIgnored() {
        TestCluster c = cluster(node("n1", cpus(2)), node("n2", cpus(1)))
                .submit(job(1).requeue(true).nodelist("n1"), job(2).nodelist("n1"));
        c.clock.advance(Duration.ofSeconds(61));
        c.handle(new Input.Heartbeat("n2"), new Input.Tick());
        assertThat(c.nodeState("n1")).isEqualTo("DOWN (Not responding)");
        assertThat(c.lastChange(2).state()).isEqualTo(NODE_FAIL);
        assertThat(c.state(1)).as("requeued, waiting for n1").isEqualTo(PENDING);

        // the agent returns (killed, restarted) and finds both jobs' processes still alive
        List<Decision> out = c.handle(new Input.NodeRegistered("n1", "boot-2", List.of(0, 1), 8192, List.of(1L, 2L)));

        assertThat(out).filteredOn(Decision.Signal.class::isInstance).map(Decision.Signal.class::cast)
                .extracting(Decision.Signal::node, Decision.Signal::jobId, Decision.Signal::reason)
                .contains(org.assertj.core.groups.Tuple.tuple("n1", 2L, "NODE_FAIL"));
        assertThat(c.nodeState("n1")).isNotEqualTo("DOWN (Not responding)");
        assertThat(c.lastChange(2).state()).as("ended once, stays ended").isEqualTo(NODE_FAIL);
    }

    @Test
    void aBatchEndReportedByANodeTheJobDoesNotRunOnIsIgnored() {
        TestCluster c = cluster(node("n1", cpus(1)), node("n2", cpus(1))).submit(job(1).nodelist("n2"));
        assertThat(c.state(1)).isEqualTo(RUNNING);

        c.handle(new Input.StepFinished(1, "batch", CANCELLED, 0, 9, null, "n1"));
        assertThat(c.state(1)).as("n1 never ran this run of the job").isEqualTo(RUNNING);

        c.handle(new Input.StepFinished(1, "batch", COMPLETED, 0, 0, null, "n2"));
        assertThat(c.state(1)).isEqualTo(COMPLETED);
    }

    @Test
    void aRequeuedJobWaitsForItsOldRunToEndOnTheNodeThatCameBackBeforeStartingThere() {
        TestCluster c = cluster(node("n1", cpus(1)), node("n2", cpus(1)))
                .submit(job(1).requeue(true).nodelist("n1"));
        c.clock.advance(Duration.ofSeconds(61));
        c.handle(new Input.Heartbeat("n2"), new Input.Tick());
        assertThat(c.state(1)).as("requeued; may only run on n1, which is down").isEqualTo(PENDING);

        // n1's agent comes back and still has the old run: it is told to kill it, and the job does not start there
        // in the same breath (the agent would take the new launch for a repeat of the old one)
        List<Decision> out = c.handle(new Input.NodeRegistered("n1", "boot-2", List.of(0), 8192, List.of(1L)));
        assertThat(out).filteredOn(Decision.Signal.class::isInstance).map(Decision.Signal.class::cast)
                .extracting(Decision.Signal::node, Decision.Signal::jobId, Decision.Signal::reason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("n1", 1L, "REQUEUED"));
        // past the requeue delay (Scheduler.REQUEUE_DELAY) it still waits, as long as the old run is not over
        c.clock.advance(Scheduler.REQUEUE_DELAY.plusSeconds(1));
        out = c.handle(new Input.Heartbeat("n1"), new Input.Heartbeat("n2"), new Input.Tick());
        assertThat(out).noneMatch(Decision.Launch.class::isInstance);
        assertThat(c.state(1)).isEqualTo(PENDING);
        assertThat(c.reason(1)).isEqualTo(Reason.BEGIN_TIME);

        // the old run's end arrives from n1: now the job starts afresh there
        c.handle(new Input.StepFinished(1, "batch", CANCELLED, 0, 9, null, "n1"));
        assertThat(c.state(1)).isEqualTo(RUNNING);
        assertThat(c.all(Decision.Launch.class)).extracting(Decision.Launch::node).containsExactly("n1", "n1");
    }

    @Test
    void everyChangeRaisesTheVersionByOneAlongLegalTransitions() {
        TestCluster c = cluster(node("n1", cpus(1))).submit(job(1), job(2), job(3));
        c.finish(1, COMPLETED, 0).cancel(3).finish(2, FAILED, 1);

        for (long id = 1; id <= 3; id++) {
            List<Decision.StateChanged> changes = c.changes(id);
            for (int i = 0; i < changes.size(); i++) {
                Decision.StateChanged ch = changes.get(i);
                assertThat(ch.version()).isEqualTo(i + 1L);
                if (i == 0) {
                    assertThat(ch.previous()).isNull();
                } else {
                    assertThat(ch.previous()).isEqualTo(changes.get(i - 1).state());
                    assertThat(ch.previous() == PENDING && ch.state() == PENDING
                            || ch.previous().canMoveTo(ch.state())).as("%s -> %s", ch.previous(), ch.state()).isTrue();
                }
            }
            assertThat(changes.getLast().state().isFinal()).isTrue();
        }
    }

    @Test
    void finalStatesAreFinal() {
        for (JobState end : List.of(COMPLETED, FAILED, CANCELLED, TIMEOUT, NODE_FAIL, OUT_OF_MEMORY)) {
            assertThat(end.isFinal()).isTrue();
            for (JobState next : JobState.values()) {
                assertThat(end.canMoveTo(next)).as("%s -> %s", end, next).isFalse();
            }
        }
        assertThat(PENDING.canMoveTo(COMPLETED)).isFalse();
    }
}
