package dev.sluice.scheduler.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;

import static dev.sluice.scheduler.core.Fixtures.*;
import static dev.sluice.scheduler.core.Fixtures.TestCluster.cluster;
import static dev.sluice.scheduler.core.JobState.*;
import static org.assertj.core.api.Assertions.assertThat;

/** --dependency and --begin: what squeue shows while a job waits on another, and when it starts. */
class DependencyAndBeginTest {

    @ParameterizedTest(name = "{0} on job 1: while 1 runs {1}; after 1 ends {2} -> {3}")
    @CsvSource({
            // dependency       while running           job 1 ends as          then job 2
            "afterany:1,        Dependency,              COMPLETED:0,           RUNNING",
            "afterany:1,        Dependency,              FAILED:3,              RUNNING",
            "afterok:1,         Dependency,              COMPLETED:0,           RUNNING",
            "afterok:1,         Dependency,              FAILED:3,              DependencyNeverSatisfied",
            "afterok:1,         Dependency,              TIMEOUT:0,             DependencyNeverSatisfied",
            "afternotok:1,      Dependency,              FAILED:1,              RUNNING",
            "afternotok:1,      Dependency,              COMPLETED:0,           DependencyNeverSatisfied",
            "after:1,           RUNNING,                 COMPLETED:0,           RUNNING",
            "afterok:1?afternotok:1, Dependency,         FAILED:2,              RUNNING",
            "'afterok:1,afterany:1', Dependency,         FAILED:2,              DependencyNeverSatisfied",
    })
    void aDependentJobWaitsForItsTarget(String dependency, String whileRunning, String end, String then) {
        TestCluster c = cluster(node("n1", cpus(4))).submit(job(1), job(2).dependency(dependency));
        assertThat(shown(c, 2)).isEqualTo(whileRunning);

        String[] e = end.split(":");
        c.finish(1, JobState.valueOf(e[0]), Integer.parseInt(e[1]));
        assertThat(shown(c, 2)).isEqualTo(then);
    }

    @Test
    void aDependencyOnAPendingJobWaitsUntilThatOneHasRunAndEnded() {
        TestCluster c = cluster(node("n1", cpus(1))).submit(job(1), job(2), job(3).dependency("afterok:2"));
        assertThat(c.reason(3)).isEqualTo(Reason.DEPENDENCY);

        c.finish(1, COMPLETED, 0);
        assertThat(c.state(2)).isEqualTo(RUNNING);
        assertThat(c.reason(3)).isEqualTo(Reason.DEPENDENCY);

        c.finish(2, COMPLETED, 0);
        assertThat(c.state(3)).isEqualTo(RUNNING);
    }

    @Test
    void afterWithADelayWaitsThatLongAfterTheTargetStarted() {
        TestCluster c = cluster(node("n1", cpus(2))).submit(job(1), job(2).dependency("after:1+5"));
        assertThat(c.reason(2)).isEqualTo(Reason.DEPENDENCY);

        c.elapse(Duration.ofMinutes(4));
        assertThat(c.state(2)).isEqualTo(PENDING);
        c.elapse(Duration.ofMinutes(1));
        assertThat(c.state(2)).isEqualTo(RUNNING);
    }

    @Test
    void singletonRunsOneJobOfTheSameNameAndUserAtATime() {
        TestCluster c = cluster(node("n1", cpus(8))).submit(
                job(1).named("train").dependency("singleton"),
                job(2).named("train").dependency("singleton"),
                job(3).named("train").as("bob").dependency("singleton"),
                job(4).named("eval").dependency("singleton"));

        assertThat(c.state(1)).isEqualTo(RUNNING);
        assertThat(c.reason(2)).isEqualTo(Reason.DEPENDENCY);
        assertThat(c.state(3)).as("another user's job of that name").isEqualTo(RUNNING);
        assertThat(c.state(4)).as("another name").isEqualTo(RUNNING);

        c.finish(1, FAILED, 1);
        assertThat(c.state(2)).isEqualTo(RUNNING);
    }

    @ParameterizedTest(name = "--dependency={0} is refused: {1}")
    @CsvSource({
            "afterok,                  Job dependency problem",
            "afterok:x,                Job dependency problem",
            "before:1,                 Job dependency problem",
            "'afterok:1,afterany:2?afterok:3', Job dependency problem",
            "afterok:9,                Job dependency problem",
    })
    void malformedDependenciesAreRefusedAtSubmitInSlurmsWords(String dependency, String message) {
        TestCluster c = cluster(node("n1", cpus(1))).submit(job(9).dependency(dependency));

        assertThat(c.lastChange(9).state()).isEqualTo(FAILED);
        assertThat(c.lastChange(9).detail()).isEqualTo(message);
    }

    @Test
    void aDependencyOnAJobTheSchedulerNeverKnewCountsAsMet() {
        TestCluster c = cluster(node("n1", cpus(1))).submit(job(2).dependency("afterok:12345"));

        assertThat(c.state(2)).isEqualTo(RUNNING);
    }

    @Test
    void beginTimeKeepsAJobWaitingWithBeginTimeUntilThen() {
        TestCluster c = cluster(node("n1", cpus(1))).submit(job(1).begin(Duration.ofHours(1)));
        assertThat(c.reason(1)).isEqualTo(Reason.BEGIN_TIME);

        c.elapse(Duration.ofMinutes(59));
        assertThat(c.state(1)).isEqualTo(PENDING);
        c.elapse(Duration.ofMinutes(1));
        assertThat(c.state(1)).isEqualTo(RUNNING);
    }

    @Test
    void aHeldJobShowsItsHoldBeforeItsBeginTimeOrDependency() {
        TestCluster c = cluster(node("n1", cpus(1))).submit(job(1).time(10), job(2).begin(Duration.ofHours(1))
                .dependency("afterok:1"));
        assertThat(c.reason(2)).isEqualTo(Reason.BEGIN_TIME);

        c.handle(new Input.Hold(2, false));
        assertThat(c.reason(2)).isEqualTo(Reason.JOB_HELD_USER);
        c.handle(new Input.Release(2));
        c.handle(new Input.Hold(2, true));
        assertThat(c.reason(2)).isEqualTo(Reason.JOB_HELD_ADMIN);
        c.handle(new Input.Release(2));
        c.elapse(Duration.ofHours(1));
        assertThat(c.reason(2)).isEqualTo(Reason.DEPENDENCY);
    }

    @Test
    void aDependencyNeverSatisfiedSurvivesARestore() {
        TestCluster c = cluster(node("n1", cpus(1))).submit(job(1), job(2).dependency("afterok:1"));
        c.finish(1, FAILED, 1);
        assertThat(c.reason(2)).isEqualTo(Reason.DEPENDENCY_NEVER_SATISFIED);

        Scheduler fresh = new Scheduler(c.scheduler.config(), c.clock);
        fresh.restore(c.scheduler.nodes(), c.scheduler.jobs());
        fresh.handle(new Input.Tick());
        assertThat(fresh.job(2).orElseThrow().state()).isEqualTo(PENDING);
        assertThat(fresh.job(2).orElseThrow().reason()).isEqualTo(Reason.DEPENDENCY_NEVER_SATISFIED);
    }

    /** RUNNING, or the pending reason in squeue's words. */
    static String shown(TestCluster c, long id) {
        Job j = c.scheduler.job(id).orElseThrow();
        if (j.state() != PENDING) {
            return j.state().name();
        }
        return switch (j.reason()) {
            case DEPENDENCY -> "Dependency";
            case DEPENDENCY_NEVER_SATISFIED -> "DependencyNeverSatisfied";
            default -> j.reason().name();
        };
    }
}
