package dev.sluice.scheduler.core;

import dev.sluice.scheduler.core.config.ClusterConfig;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.sluice.scheduler.core.Fixtures.*;
import static dev.sluice.scheduler.core.Fixtures.TestCluster.cluster;
import static dev.sluice.scheduler.core.JobState.*;
import static org.assertj.core.api.Assertions.assertThat;

/** The persisted records are enough to carry on: what the scheduler service relies on after a restart. */
class RestoreTest {

    @Test
    void aSchedulerRebuiltFromSavedRecordsCarriesOnWhereTheOldOneStopped() {
        TestCluster c = cluster(node("n1", cpus(2)), node("n2", cpus(2)))
                .submit(job(1).tasks(3), job(2).tasks(2), job(3));
        Map<Long, Job> savedJobs = new HashMap<>();
        Map<String, Node> savedNodes = new HashMap<>();
        for (Decision d : c.decisions) {
            switch (d) {
                case Decision.JobSaved s -> savedJobs.put(s.job().id(), s.job());
                case Decision.JobForgotten f -> savedJobs.remove(f.jobId());
                case Decision.NodeSaved n -> savedNodes.put(n.node().name(), n.node());
                default -> {
                }
            }
        }

        Scheduler fresh = new Scheduler(ClusterConfig.parse("PartitionName=cpu Nodes=ALL Default=YES"), c.clock);
        fresh.restore(savedNodes.values(), savedJobs.values());

        assertThat(fresh.jobs()).isEqualTo(c.scheduler.jobs());
        assertThat(fresh.view()).isEqualTo(c.scheduler.view());
        assertThat(fresh.job(2).orElseThrow().reason()).isEqualTo(Reason.RESOURCES);

        List<Decision> out = fresh.handle(new Input.StepFinished(1, "batch", COMPLETED, 0, 0, null));

        assertThat(out).filteredOn(Decision.StateChanged.class::isInstance)
                .extracting(d -> ((Decision.StateChanged) d).jobId() + " " + ((Decision.StateChanged) d).state()
                        + " v" + ((Decision.StateChanged) d).version())
                .containsExactly("1 COMPLETED v3", "2 RUNNING v2", "3 RUNNING v2");
        assertThat(fresh.job(2).orElseThrow().allocation()).extracting(Fixtures::describe)
                .containsExactly("n1: 2 tasks, cpus 0-1");
        assertThat(fresh.job(3).orElseThrow().allocation()).extracting(Fixtures::describe)
                .containsExactly("n2: 1 task, cpus 0");
    }

    @Test
    void restoringTwoJobsOnTheSameCpuIsRefused() {
        Job a = new Job(1, "u", "cpu", JobRequest.tasks(1), T0, RUNNING, Reason.NONE, 2,
                List.of(new NodeShare("n1", 1, List.of(0), 0)), null, T0, null, null, null, false, null);
        Job b = new Job(2, "u", "cpu", JobRequest.tasks(1), T0, RUNNING, Reason.NONE, 2,
                List.of(new NodeShare("n1", 1, List.of(0), 0)), null, T0, null, null, null, false, null);
        Scheduler s = new Scheduler(ClusterConfig.parse(ClusterConfig.LOCAL_DEFAULT), new ManualClock());

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.restore(List.of(), List.of(a, b)))
                .hasMessageContaining("already allocated");
    }

    @Test
    void jobsOfAPartitionThatNoLongerExistsWaitAsIfItWereDown() {
        Job orphan = Job.pending(5, "u", "gone", JobRequest.tasks(1), T0);
        Scheduler s = new Scheduler(ClusterConfig.parse(ClusterConfig.LOCAL_DEFAULT), new ManualClock());
        s.restore(List.of(), List.of(orphan));

        s.handle(node("n1", cpus(1)).registration("b1"));

        assertThat(s.job(5).orElseThrow().reason()).isEqualTo(Reason.PARTITION_DOWN);
    }

    @Test
    void aCpuReportedTwiceIsStillOnlyOneCpu() {
        TestCluster c = cluster();
        c.handle(new Input.NodeRegistered("n1", "b1", List.of(0, 0, 1), 1024, List.of()));
        c.submit(job(1).tasks(2), job(2));

        assertThat(c.allocation(1)).isEqualTo("n1: 2 tasks, cpus 0-1");
        assertThat(c.reason(2)).isEqualTo(Reason.RESOURCES);
    }

    @Test
    void whereANodesAgentListensIsKeptAcrossARestart() {
        TestCluster c = cluster();
        c.handle(new Input.NodeRegistered("n1", "b1", List.of(0, 1), 1024, List.of(), "10.0.0.7:6818"));
        Map<String, Node> savedNodes = new HashMap<>();
        for (Decision d : c.decisions) {
            if (d instanceof Decision.NodeSaved n) {
                savedNodes.put(n.node().name(), n.node());
            }
        }

        Scheduler fresh = new Scheduler(ClusterConfig.parse(ClusterConfig.LOCAL_DEFAULT), c.clock);
        fresh.restore(savedNodes.values(), List.of());

        assertThat(fresh.view().nodes()).extracting(ClusterView.NodeView::address).containsExactly("10.0.0.7:6818");
        // an agent that says nothing of its address (an older one) does not erase it
        fresh.handle(new Input.NodeRegistered("n1", "b2", List.of(0, 1), 1024, List.of()));
        assertThat(fresh.node("n1").orElseThrow().address()).isEqualTo("10.0.0.7:6818");
        fresh.handle(new Input.NodeRegistered("n1", "b3", List.of(0, 1), 1024, List.of(), "10.0.0.9:6818"));
        assertThat(fresh.view().nodes()).extracting(ClusterView.NodeView::address).containsExactly("10.0.0.9:6818");
    }
}
