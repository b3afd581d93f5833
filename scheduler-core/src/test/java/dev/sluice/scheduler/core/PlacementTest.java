package dev.sluice.scheduler.core;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static dev.sluice.scheduler.core.Fixtures.*;
import static dev.sluice.scheduler.core.Fixtures.TestCluster.cluster;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** Where tasks land, as srun users know it: fewest nodes, lowest CPU ids first, -N and --ntasks-per-node obeyed. */
class PlacementTest {

    static Stream<Arguments> placements() {
        List<NodeSpec> fourBy4 = List.of(node("n1", cpus(4)), node("n2", cpus(4)), node("n3", cpus(4)), node("n4", cpus(4)));
        List<NodeSpec> twoBy8 = List.of(node("n1", cpus(8)), node("n2", cpus(8)));
        return Stream.of(
                arguments("a default job takes one CPU", fourBy4, job(1),
                        "n1: 1 task, cpus 0"),
                arguments("-n 4 fits on one node", fourBy4, job(1).tasks(4),
                        "n1: 4 tasks, cpus 0-3"),
                arguments("-n 4 -N 2 spreads over two nodes", twoBy8, job(1).tasks(4).nodes(2),
                        "n1: 2 tasks, cpus 0-1; n2: 2 tasks, cpus 0-1"),
                arguments("-n 4 --ntasks-per-node=1 takes four nodes", fourBy4, job(1).tasks(4).perNode(1),
                        "n1: 1 task, cpus 0; n2: 1 task, cpus 0; n3: 1 task, cpus 0; n4: 1 task, cpus 0"),
                arguments("-n 8 -N 2-4 uses the fewest nodes", fourBy4, job(1).tasks(8).nodes(2, 4),
                        "n1: 4 tasks, cpus 0-3; n2: 4 tasks, cpus 0-3"),
                arguments("-n 6 needs two 4-CPU nodes", fourBy4, job(1).tasks(6),
                        "n1: 3 tasks, cpus 0-2; n2: 3 tasks, cpus 0-2"),
                arguments("-n 2 -c 3 puts one task per 4-CPU node", fourBy4, job(1).tasks(2).cpusPerTask(3),
                        "n1: 1 task, cpus 0-2; n2: 1 task, cpus 0-2"),
                arguments("-N 3 without -n runs one task per node", fourBy4, job(1).nodes(3),
                        "n1: 1 task, cpus 0; n2: 1 task, cpus 0; n3: 1 task, cpus 0"),
                arguments("-N 2 --ntasks-per-node=2 without -n runs four tasks", fourBy4, job(1).nodes(2).perNode(2),
                        "n1: 2 tasks, cpus 0-1; n2: 2 tasks, cpus 0-1"),
                arguments("--mem reserves per node", fourBy4, job(1).tasks(2).nodes(2).mem(1000),
                        "n1: 1 task, cpus 0, mem 1000; n2: 1 task, cpus 0, mem 1000"),
                arguments("--mem-per-cpu reserves per CPU", fourBy4, job(1).tasks(2).cpusPerTask(2).memPerCpu(100),
                        "n1: 2 tasks, cpus 0-3, mem 400"),
                arguments("memory limits tasks per node", List.of(node("n1", cpus(4), mem(1000)), node("n2", cpus(4), mem(1000))),
                        job(1).tasks(4).memPerCpu(500),
                        "n1: 2 tasks, cpus 0-1, mem 1000; n2: 2 tasks, cpus 0-1, mem 1000"),
                arguments("node order counts numerically", List.of(node("n10", cpus(2)), node("n9", cpus(2))), job(1),
                        "n9: 1 task, cpus 0"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("placements")
    void places(String scenario, List<NodeSpec> nodes, JobSpec job, String expected) {
        TestCluster c = cluster(nodes.toArray(NodeSpec[]::new)).submit(job);

        assertThat(c.state(job.id())).isEqualTo(JobState.RUNNING);
        assertThat(c.allocation(job.id())).isEqualTo(expected);
    }

    static Stream<Arguments> misfits() {
        return Stream.of(
                arguments("more tasks than CPUs", List.of(node("n1", cpus(2))), job(1).tasks(4)),
                arguments("-N 3 on two nodes", List.of(node("n1", cpus(4)), node("n2", cpus(4))), job(1).tasks(3).nodes(3)),
                arguments("--mem over the node's memory", List.of(node("n1", cpus(4), mem(1000))), job(1).mem(2000)),
                arguments("--ntasks-per-node=1 with -n 3 on two nodes", List.of(node("n1", cpus(4)), node("n2", cpus(4))),
                        job(1).tasks(3).perNode(1)),
                arguments("-N 1 with more tasks than one node holds", List.of(node("n1", cpus(2)), node("n2", cpus(2))),
                        job(1).tasks(3).nodes(1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("misfits")
    void waitsForResources(String scenario, List<NodeSpec> nodes, JobSpec job) {
        TestCluster c = cluster(nodes.toArray(NodeSpec[]::new)).submit(job);

        assertThat(c.state(job.id())).isEqualTo(JobState.PENDING);
        assertThat(c.reason(job.id())).isEqualTo(Reason.RESOURCES);
        assertThat(c.all(Decision.AllocationGranted.class)).isEmpty();
    }

    @org.junit.jupiter.api.Test
    void defMemPerCpuReservesMemoryWhenTheJobAsksForNone() {
        TestCluster c = cluster("PartitionName=cpu Nodes=ALL Default=YES DefMemPerCPU=256", node("n1", cpus(4)))
                .submit(job(1).tasks(2), job(2).mem(100));

        assertThat(c.allocation(1)).isEqualTo("n1: 2 tasks, cpus 0-1, mem 512");
        assertThat(c.allocation(2)).isEqualTo("n1: 1 task, cpus 2, mem 100");
    }

    @org.junit.jupiter.api.Test
    void clusterWideDefMemPerCpuAppliesToo() {
        TestCluster c = cluster("DefMemPerCPU=128\nPartitionName=cpu Nodes=ALL Default=YES", node("n1", cpus(4)))
                .submit(job(1));

        assertThat(c.allocation(1)).isEqualTo("n1: 1 task, cpus 0, mem 128");
    }

    @org.junit.jupiter.api.Test
    void anExclusiveJobTakesAnIdleNodeWholeAndNoOneShares() {
        TestCluster c = cluster(node("n1", cpus(4)), node("n2", cpus(4))).submit(job(1));
        c.handle(new Input.Submit(2, "alice", null,
                new JobRequest(null, null, 2, null, null, null, null, null, true), T0.plusSeconds(10)));
        c.submit(job(3));

        assertThat(c.allocation(2)).isEqualTo("n2: 2 tasks, cpus 0-3");
        assertThat(c.nodeState("n2")).isEqualTo("ALLOCATED");
        assertThat(c.allocation(3)).isEqualTo("n1: 1 task, cpus 1");

        c.handle(new Input.Submit(4, "alice", null,
                new JobRequest(null, null, 1, null, null, null, null, null, true), T0.plusSeconds(20)));
        assertThat(c.reason(4)).as("no node is idle").isEqualTo(Reason.RESOURCES);
    }
}
