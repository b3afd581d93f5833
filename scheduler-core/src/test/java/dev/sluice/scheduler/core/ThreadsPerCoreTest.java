package dev.sluice.scheduler.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static dev.sluice.scheduler.core.Fixtures.*;
import static dev.sluice.scheduler.core.JobState.*;
import static org.assertj.core.api.Assertions.assertThat;

/** ThreadsPerCore=2: CPUs go out in whole cores, as Slurm counts them (-c 1 holds both threads of a core). */
class ThreadsPerCoreTest {
    static final String SMT = """
            NodeName=h1 CPUs=8 Sockets=1 CoresPerSocket=4 ThreadsPerCore=2
            PartitionName=cpu Nodes=ALL Default=YES
            """;

    @ParameterizedTest(name = "-n {0} -c {1}: {2}")
    @CsvSource(delimiter = '|', value = {
            "1 | 1 | h1: 1 task, cpus 0-1",
            "3 | 1 | h1: 3 tasks, cpus 0-5",
            "1 | 3 | h1: 1 task, cpus 0-3",
            "2 | 2 | h1: 2 tasks, cpus 0-3",
            "4 | 1 | h1: 4 tasks, cpus 0-7"})
    void tasksGetWholeCores(int tasks, int cpusPerTask, String expected) {
        TestCluster c = TestCluster.slurm(SMT, node("h1", cpus(8)));
        c.submit(job(1).tasks(tasks).cpusPerTask(cpusPerTask));

        assertThat(c.allocation(1)).isEqualTo(expected);
    }

    @Test
    void aJobNeedingMoreCoresThanAreFreeWaitsEvenWithEnoughThreadsCounted() {
        TestCluster c = TestCluster.slurm(SMT, node("h1", cpus(8))).submit(job(1).tasks(2), job(2).tasks(3));

        assertThat(c.allocation(1)).isEqualTo("h1: 2 tasks, cpus 0-3");
        assertThat(c.reason(2)).as("4 threads free, but 3 tasks need 3 cores").isEqualTo(Reason.RESOURCES);
        c.finish(1, COMPLETED, 0);
        assertThat(c.allocation(2)).isEqualTo("h1: 3 tasks, cpus 0-5");
    }

    @Test
    void oneThreadPerCoreNodesAreUnchanged() {
        TestCluster c = TestCluster.slurm("PartitionName=cpu Nodes=ALL Default=YES", node("n1", cpus(4)))
                .submit(job(1).tasks(3));

        assertThat(c.allocation(1)).isEqualTo("n1: 3 tasks, cpus 0-2");
    }
}
