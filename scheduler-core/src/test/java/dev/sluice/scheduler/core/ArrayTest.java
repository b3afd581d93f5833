package dev.sluice.scheduler.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import static dev.sluice.scheduler.core.Fixtures.*;
import static dev.sluice.scheduler.core.Fixtures.TestCluster.cluster;
import static dev.sluice.scheduler.core.JobState.*;
import static org.assertj.core.api.Assertions.assertThat;

/** --array: one pending record until tasks start, each task its own job id, %throttle, cancel of all or one. */
class ArrayTest {

    @ParameterizedTest(name = "--array={0} on {1} CPUs: running {2}, squeue shows {3}")
    @CsvSource(delimiter = '|', value = {
            // spec       | CPUs | running task ids (job ids)        | pending remainder
            "0-15:2%4     | 8    | 0=42 2=43 4=44 6=45                | 42_[8,10,12,14%4]",
            "0-3          | 2    | 0=42 1=43                          | 42_[2-3]",
            "1,3,5-7      | 8    | 1=42 3=43 5=44 6=45 7=46           | none",
            "0-9%2        | 8    | 0=42 1=43                          | 42_[2-9%2]"})
    void tasksStartAsResourcesAndTheThrottleAllow(String spec, int cpus, String running, String remainder) {
        TestCluster c = cluster(node("n1", cpus(cpus))).submit(job(42).array(spec.trim()));

        assertThat(runningTasks(c)).isEqualTo(running.trim());
        assertThat(c.scheduler.arrayPending(42).orElse("none")).isEqualTo(remainder.trim());
    }

    @Test
    void theRemainderWaitsWithJobArrayTaskLimitAndTheNextTaskStartsWhenOneEnds() {
        TestCluster c = cluster(node("n1", cpus(8))).submit(job(42).array("0-5%2"));
        Job rest = remainder(c, 42);
        assertThat(rest.id()).as("the remainder has its lowest pending task's id").isEqualTo(44);
        assertThat(rest.reason()).isEqualTo(Reason.JOB_ARRAY_TASK_LIMIT);
        assertThat(rest.arrayTaskId()).isNull();

        c.finish(43, COMPLETED, 0);
        assertThat(runningTasks(c)).isEqualTo("0=42 2=44");
        assertThat(c.scheduler.arrayPending(42)).contains("42_[3-5%2]");
        assertThat(c.changes(44)).extracting(Decision.StateChanged::state).endsWith(RUNNING);
        assertThat(c.lastChange(44).arrayJobId()).isEqualTo(42);
        assertThat(c.lastChange(44).arrayTaskId()).isEqualTo(2);
    }

    @Test
    void aTaskWaitsForResourcesLikeAnyJobAndTheRemainderSaysSo() {
        TestCluster c = cluster(node("n1", cpus(2))).submit(job(42).array("0-3").tasks(2));

        assertThat(runningTasks(c)).isEqualTo("0=42");
        assertThat(remainder(c, 42).reason()).isEqualTo(Reason.RESOURCES);
        assertThat(c.lastChange(43).arrayTasks()).isEqualTo("1-3");
    }

    @Test
    void cancellingTheArrayJobIdCancelsEveryTaskPendingOrRunning() {
        TestCluster c = cluster(node("n1", cpus(2))).submit(job(42).array("0-3")).cancel(42);

        assertThat(c.all(Decision.Signal.class)).extracting(Decision.Signal::jobId).containsExactlyInAnyOrder(42L, 43L);
        assertThat(c.scheduler.arrayPending(42)).isEmpty();
        assertThat(c.lastChange(44).state()).isEqualTo(CANCELLED);
    }

    @Test
    void cancellingOneTaskLeavesTheOthers() {
        TestCluster c = cluster(node("n1", cpus(1))).submit(job(42).array("0-3"));
        c.handle(new Input.CancelTask(42, 2));
        assertThat(c.scheduler.arrayPending(42)).contains("42_[1,3]");
        assertThat(c.lastChange(44).state()).isEqualTo(CANCELLED);

        c.handle(new Input.CancelTask(42, 0));
        c.finish(42, CANCELLED, 0);
        assertThat(runningTasks(c)).isEqualTo("1=43");
    }

    @Test
    void aDependencyOnAWholeArrayWaitsForEveryTask() {
        TestCluster c = cluster(node("n1", cpus(2))).submit(job(42).array("0-2"), job(50).dependency("afterok:42"),
                job(51).dependency("afterany:42_0"));
        assertThat(c.reason(51)).isEqualTo(Reason.DEPENDENCY);
        c.finish(42, COMPLETED, 0);
        assertThat(c.reason(51)).as("met; task 2 took the CPU first").isEqualTo(Reason.RESOURCES);
        c.finish(43, COMPLETED, 0);
        assertThat(c.state(51)).isEqualTo(RUNNING);
        assertThat(c.reason(50)).isEqualTo(Reason.DEPENDENCY);
        c.finish(51, COMPLETED, 0);
        c.finish(44, COMPLETED, 0);
        assertThat(c.state(50)).isEqualTo(RUNNING);
    }

    @Test
    void holdingTheArrayHoldsItsPendingTasks() {
        TestCluster c = cluster(node("n1", cpus(1))).submit(job(42).array("0-2"));
        c.handle(new Input.Hold(42, false));
        c.finish(42, COMPLETED, 0);
        assertThat(remainder(c, 42).reason()).isEqualTo(Reason.JOB_HELD_USER);

        c.handle(new Input.Release(42));
        assertThat(runningTasks(c)).isEqualTo("1=43");
    }

    @Test
    void aRestoredSchedulerKeepsTheRemainderAndTheThrottleCount() {
        TestCluster c = cluster(node("n1", cpus(8))).submit(job(42).array("0-5%2"));
        Scheduler fresh = new Scheduler(c.scheduler.config(), c.clock);
        fresh.restore(c.scheduler.nodes(), c.scheduler.jobs());
        fresh.handle(new Input.Tick());

        assertThat(fresh.arrayPending(42)).contains("42_[2-5%2]");
        assertThat(fresh.jobs().stream().filter(j -> j.state() == RUNNING).count()).isEqualTo(2);
    }

    @ParameterizedTest(name = "--array={0} is refused")
    @CsvSource({"5-1", "a-b", "0-1001", "1:0", "0-3%x"})
    void malformedArraysAreRefusedInSlurmsWords(String spec) {
        TestCluster c = cluster(node("n1", cpus(1))).submit(job(42).array(spec));
        assertThat(c.lastChange(42).state()).isEqualTo(FAILED);
        assertThat(c.lastChange(42).detail()).isEqualTo("Invalid job array specification");
    }

    static Job remainder(TestCluster c, long arrayJobId) {
        return c.scheduler.jobs().stream().filter(j -> j.arrayRemainder() && j.arrayJobId() == arrayJobId)
                .findFirst().orElseThrow();
    }

    /** {@code task=jobId} of the running tasks, by task. */
    static String runningTasks(TestCluster c) {
        return c.scheduler.jobs().stream().filter(j -> j.state() == RUNNING && j.arrayTaskId() != null)
                .sorted(java.util.Comparator.comparing(Job::arrayTaskId))
                .map(j -> j.arrayTaskId() + "=" + j.id()).collect(Collectors.joining(" "));
    }
}
