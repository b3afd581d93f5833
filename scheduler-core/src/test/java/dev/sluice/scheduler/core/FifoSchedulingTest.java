package dev.sluice.scheduler.core;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static dev.sluice.scheduler.core.Fixtures.*;
import static dev.sluice.scheduler.core.Fixtures.TestCluster.cluster;
import static dev.sluice.scheduler.core.JobState.*;
import static org.assertj.core.api.Assertions.assertThat;

class FifoSchedulingTest {

    @Test
    void headJobWaitsForResourcesAndJobsBehindItForPriority() {
        TestCluster c = cluster(node("n1", cpus(2)))
                .submit(job(1), job(2).tasks(2), job(3));

        assertThat(c.state(1)).isEqualTo(RUNNING);
        assertThat(c.state(2)).isEqualTo(PENDING);
        assertThat(c.reason(2)).isEqualTo(Reason.RESOURCES);
        assertThat(c.state(3)).as("a small job may not pass the blocked wide one").isEqualTo(PENDING);
        assertThat(c.reason(3)).isEqualTo(Reason.PRIORITY);
    }

    @Test
    void whenTheHeadStartsTheNextJobBecomesHead() {
        TestCluster c = cluster(node("n1", cpus(2)))
                .submit(job(1), job(2).tasks(2), job(3))
                .finish(1, COMPLETED, 0);

        assertThat(c.lastChange(1).state()).isEqualTo(COMPLETED);
        assertThat(c.state(2)).isEqualTo(RUNNING);
        assertThat(c.allocation(2)).isEqualTo("n1: 2 tasks, cpus 0-1");
        assertThat(c.reason(3)).isEqualTo(Reason.RESOURCES);

        c.finish(2, COMPLETED, 0);
        assertThat(c.state(3)).isEqualTo(RUNNING);
    }

    @Test
    void orderIsSubmitTimeThenJobId() {
        TestCluster c = cluster(node("n1", cpus(1)));
        c.handle(new Input.Submit(7, "bob", null, JobRequest.tasks(1), T0.plusSeconds(5)),
                new Input.Submit(9, "bob", null, JobRequest.tasks(1), T0.plusSeconds(1)),
                new Input.Submit(8, "bob", null, JobRequest.tasks(1), T0.plusSeconds(1)));

        assertThat(c.state(8)).isEqualTo(RUNNING);
        assertThat(c.reason(9)).isEqualTo(Reason.RESOURCES);
        assertThat(c.reason(7)).isEqualTo(Reason.PRIORITY);
    }

    @Test
    void aCpuIsNeverGivenToTwoJobs() {
        TestCluster c = cluster(node("n1", cpus(4)), node("n2", cpus(4)));
        for (int i = 1; i <= 12; i++) {
            c.submit(job(i).tasks(1 + i % 3));
        }
        Set<String> held = new HashSet<>();
        for (Job j : c.scheduler.jobs()) {
            for (NodeShare s : j.allocation()) {
                for (int cpu : s.cpuIds()) {
                    assertThat(held.add(s.node() + ":" + cpu)).as("CPU %s:%s held twice", s.node(), cpu).isTrue();
                }
            }
        }
        assertThat(held).hasSize(8);
    }

    @Test
    void aBlockedJobHoldsBackOnlyJobsThatShareItsNodes() {
        TestCluster c = cluster("""
                PartitionName=gpu Nodes=g[1-2]
                PartitionName=cpu Nodes=c1 Default=YES
                """, node("g1", cpus(2)), node("g2", cpus(2)), node("c1", cpus(2)))
                .submit(job(1).partition("gpu").tasks(8), job(2).partition("gpu"), job(3));

        assertThat(c.reason(1)).isEqualTo(Reason.RESOURCES);
        assertThat(c.reason(2)).isEqualTo(Reason.PRIORITY);
        assertThat(c.state(3)).isEqualTo(RUNNING);
        assertThat(c.allocation(3)).isEqualTo("c1: 1 task, cpus 0");
    }

    @Test
    void jobsOnlyRunOnTheirPartitionsNodes() {
        TestCluster c = cluster("PartitionName=gpu Nodes=g1\nPartitionName=cpu Nodes=c1 Default=YES",
                node("c1", cpus(1)), node("g1", cpus(4)))
                .submit(job(1).partition("gpu").tasks(2), job(2).tasks(1), job(3).tasks(1));

        assertThat(c.allocation(1)).startsWith("g1:");
        assertThat(c.allocation(2)).startsWith("c1:");
        assertThat(c.reason(3)).isEqualTo(Reason.RESOURCES);
    }

    @Test
    void aJobInAnUnknownPartitionFails() {
        TestCluster c = cluster(node("n1", cpus(1))).submit(job(1).partition("nope"));

        assertThat(c.lastChange(1).state()).isEqualTo(FAILED);
        assertThat(c.lastChange(1).detail()).isEqualTo("Invalid partition name specified");
        assertThat(c.scheduler.job(1)).isEmpty();
    }

    @Test
    void aDownPartitionHoldsItsJobs() {
        TestCluster c = cluster("PartitionName=cpu Nodes=ALL Default=YES State=DOWN", node("n1", cpus(1)))
                .submit(job(1));

        assertThat(c.reason(1)).isEqualTo(Reason.PARTITION_DOWN);
    }

    @Test
    void aJobSubmittedBeforeAnyNodeStartsWhenOneRegisters() {
        TestCluster c = cluster().submit(job(1));
        assertThat(c.reason(1)).isEqualTo(Reason.RESOURCES);

        c.handle(node("n1", cpus(2)).registration("b1"));

        assertThat(c.state(1)).isEqualTo(RUNNING);
        assertThat(c.all(Decision.Launch.class)).singleElement()
                .satisfies(l -> assertThat(l.node()).isEqualTo("n1"));
    }

    @Test
    void drainedNodesGetNoNewJobsUntilResumed() {
        TestCluster c = cluster(node("n1", cpus(1)));
        c.handle(new Input.Drain("n1", "maintenance"));
        c.submit(job(1));

        assertThat(c.nodeState("n1")).isEqualTo("DRAINED (maintenance)");
        assertThat(c.reason(1)).isEqualTo(Reason.RESOURCES);

        c.handle(new Input.Resume("n1"));
        assertThat(c.state(1)).isEqualTo(RUNNING);
        assertThat(c.nodeState("n1")).isEqualTo("ALLOCATED");
    }
}
