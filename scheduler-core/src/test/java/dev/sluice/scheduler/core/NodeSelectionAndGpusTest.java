package dev.sluice.scheduler.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.stream.Collectors;

import static dev.sluice.scheduler.core.Fixtures.*;
import static dev.sluice.scheduler.core.Fixtures.TestCluster.cluster;
import static dev.sluice.scheduler.core.JobState.*;
import static org.assertj.core.api.Assertions.assertThat;

/** -w, -x, -C, -p a,b, --gpus, --gpus-per-task, --mem-per-gpu and -m cyclic. */
class NodeSelectionAndGpusTest {
    static final String FEATURED = """
            NodeName=n1 Features=a100,nvlink
            NodeName=n2 Features=a100
            NodeName=n3 Features=h100,nvlink
            PartitionName=cpu Nodes=n[1-3] Default=YES
            """;

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '#', value = {
            "-w n2                # n2",
            "-w n[2-3] -n 2       # n2 n3",
            "-x n1                # n2",
            "-x n[1-2]            # n3",
            "-C nvlink            # n1",
            "-C a100&nvlink       # n1",
            "-C h100|a100 -x n1   # n2",
            "-C h100&nvlink       # n3",
            "-C h100 -w n3        # n3",
            "-w n4                # ReqNodeNotAvail",
            "-w n1 -x n1          # ReqNodeNotAvail",
            "-C v100              # BadConstraints",
            "-C h100&a100         # BadConstraints"})
    void nodeListsExclusionsAndFeaturesChooseTheNodes(String options, String expected) {
        TestCluster c = cluster(FEATURED, node("n1", cpus(1)), node("n2", cpus(1)), node("n3", cpus(1)));
        JobSpec j = job(1);
        String[] o = options.trim().split(" ");
        for (int k = 0; k < o.length; k += 2) {
            String v = o[k + 1];
            j = switch (o[k]) {
                case "-w" -> j.nodelist(v);
                case "-x" -> j.exclude(v);
                case "-C" -> j.constraint(v);
                default -> j.tasks(Integer.parseInt(v));
            };
        }
        c.submit(j);

        if (c.state(1) == RUNNING) {
            assertThat(String.join(" ", c.scheduler.job(1).orElseThrow().nodeNames())).isEqualTo(expected.trim());
        } else {
            assertThat(DependencyAndBeginTest.shown(c, 1)).isEqualTo(switch (expected.trim()) {
                case "ReqNodeNotAvail" -> "REQ_NODE_NOT_AVAIL";
                default -> "BAD_CONSTRAINTS";
            });
        }
    }

    @Test
    void aRequiredNodeThatIsBusyMakesTheJobWaitForResourcesNotElsewhere() {
        TestCluster c = cluster(FEATURED, node("n1", cpus(1)), node("n2", cpus(1))).submit(job(1), job(2).nodelist("n1"));

        assertThat(c.reason(2)).isEqualTo(Reason.RESOURCES);
        c.finish(1, COMPLETED, 0);
        assertThat(c.scheduler.job(2).orElseThrow().nodeNames()).containsExactly("n1");
    }

    @Test
    void aDrainedRequiredNodeShowsReqNodeNotAvail() {
        TestCluster c = cluster(FEATURED, node("n1", cpus(1)), node("n2", cpus(1)));
        c.handle(new Input.Drain("n1", "fan"));
        c.submit(job(1).nodelist("n1"));

        assertThat(c.reason(1)).isEqualTo(Reason.REQ_NODE_NOT_AVAIL);
    }

    static final String TWO_PARTITIONS = """
            PartitionName=short Nodes=s1 Default=YES MaxTime=60
            PartitionName=long Nodes=l1
            """;

    @ParameterizedTest(name = "-p {0} with {1}: starts in {2}")
    @CsvSource(delimiter = '|', value = {
            "short,long  | both free           | short",
            "long,short  | both free           | long",
            "short,long  | short busy          | long",
            "short,long  | -t 120              | long",
            "short,long  | short busy, -t 30   | long"})
    void aJobWithSeveralPartitionsStartsInTheFirstThatCanRunIt(String partitions, String situation, String expected) {
        TestCluster c = cluster(TWO_PARTITIONS, node("s1", cpus(1)), node("l1", cpus(1)));
        if (situation.contains("short busy")) {
            c.submit(job(9).partition("short"));
        }
        JobSpec j = job(1).partition(partitions.trim());
        if (situation.contains("-t 120")) {
            j = j.time(120);
        } else if (situation.contains("-t 30")) {
            j = j.time(30);
        }
        c.submit(j);

        assertThat(c.state(1)).isEqualTo(RUNNING);
        assertThat(c.scheduler.job(1).orElseThrow().partition()).isEqualTo(expected.trim());
        assertThat(c.lastChange(1).partition()).isEqualTo(expected.trim());
    }

    @Test
    void aJobWithSeveralPartitionsWaitsWhileNoneCanRunIt() {
        TestCluster c = cluster(TWO_PARTITIONS, node("s1", cpus(1)), node("l1", cpus(1)))
                .submit(job(8).partition("short"), job(9).partition("long"), job(1).partition("short,long"));

        assertThat(c.reason(1)).isEqualTo(Reason.RESOURCES);
        assertThat(c.lastChange(1).partition()).isEqualTo("short,long");
        c.finish(9, COMPLETED, 0);
        assertThat(c.scheduler.job(1).orElseThrow().partition()).isEqualTo("long");
    }

    @Test
    void aPartitionTheUserMayNotUseIsDroppedFromTheList() {
        TestCluster c = cluster("""
                PartitionName=short Nodes=s1 Default=YES AllowGroups=staff
                PartitionName=long Nodes=l1
                """, node("s1", cpus(1)), node("l1", cpus(1))).submit(job(1).partition("short,long").groups("users"));

        assertThat(c.scheduler.job(1).orElseThrow().partition()).isEqualTo("long");
    }

    static final String GPUS = """
            NodeName=g[1-2] CPUs=16 Sockets=2 CoresPerSocket=8 ThreadsPerCore=1 Gres=gpu:h100:2(S:0),gpu:h100:2(S:1)
            PartitionName=gpu Nodes=ALL Default=YES
            """;

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
            // options                          | GPUs per node (node: indices)      | memory per node
            "--gpus=4                           | g1: 0,1,2,3                        | 0",
            "--gpus=4 -N 2                      | g1: 0,1; g2: 0,1                   | 0",
            "--gpus=3 -N 2                      | g1: 0,1; g2: 0                     | 0",
            "--gpus=6 -n 2                      | g1: 0,1,2; g2: 0,1,2               | 0",
            "--gpus-per-task=1 -n 3             | g1: 0,1,2                          | 0",
            "--gpus-per-task=2 -n 3             | g1: 0,1,2,3; g2: 0,1               | 0",
            "--gpus-per-task=1 -n 2 --mem-per-gpu=1000 | g1: 0,1                     | 2000",
            "--gres=gpu:1 --mem-per-gpu=1000    | g1: 0                              | 1000"})
    void gpusOverTheJobPerTaskAndTheirMemory(String options, String gpus, long mem) {
        TestCluster c = TestCluster.slurm(GPUS, node("g1", cpus(16), mem(64000)), node("g2", cpus(16), mem(64000)));
        JobSpec j = job(1);
        for (String o : options.trim().split(" +(?=-)")) {
            String[] kv = o.trim().split("[= ]");
            j = switch (kv[0]) {
                case "--gpus" -> j.gpusTotal(null, Integer.parseInt(kv[1]));
                case "--gpus-per-task" -> j.gpusPerTask(null, Integer.parseInt(kv[1]));
                case "--mem-per-gpu" -> j.memPerGpu(Long.parseLong(kv[1]));
                case "--gres" -> j.gpus(Integer.parseInt(kv[1].split(":")[1]));
                case "-N" -> j.nodes(Integer.parseInt(kv[1]));
                default -> j.tasks(Integer.parseInt(kv[1]));
            };
        }
        c.submit(j);

        assertThat(c.state(1)).isEqualTo(RUNNING);
        assertThat(c.gpus(1)).isEqualTo(gpus.trim());
        assertThat(c.scheduler.job(1).orElseThrow().allocation()).allSatisfy(s -> assertThat(s.memMb()).isEqualTo(
                mem == 0 ? 0 : mem));
    }

    @Test
    void gpusPerTaskComeWithTheCpusOfTheirSocket() {
        TestCluster c = TestCluster.slurm(GPUS, node("g1", cpus(16)));
        c.submit(job(1).tasks(1).gpusPerTask(null, 1), job(2).tasks(2).cpusPerTask(2).gpusPerTask(null, 1));

        // job 1 takes GPU 0 (socket 0) and CPU 0; job 2's two GPUs are socket 1's, so its CPUs are socket 1's
        assertThat(c.gpus(1)).isEqualTo("g1: 0");
        assertThat(c.scheduler.job(1).orElseThrow().allocation().getFirst().cpuIds()).containsExactly(0);
        assertThat(c.gpus(2)).isEqualTo("g1: 2,3");
        assertThat(c.scheduler.job(2).orElseThrow().allocation().getFirst().cpuIds()).allMatch(cpu -> cpu >= 8);
    }

    @Test
    void noGpuIsEverGivenToTwoJobs() {
        TestCluster c = TestCluster.slurm(GPUS, node("g1", cpus(16)), node("g2", cpus(16)));
        c.submit(job(1).gpusTotal(null, 3), job(2).gpusPerTask(null, 1).tasks(3), job(3).gpus(2), job(4).gpus(1));

        java.util.Set<String> seen = new java.util.HashSet<>();
        for (Job j : c.scheduler.jobs()) {
            for (NodeShare s : j.allocation()) {
                for (int g : s.gpuIds()) {
                    assertThat(seen.add(s.node() + ":" + g)).as("GPU %s:%s given twice", s.node(), g).isTrue();
                }
            }
        }
        assertThat(seen).as("3 + 3 + 1").hasSize(7);
        assertThat(c.reason(3)).as("2 per node, one left on each").isEqualTo(Reason.RESOURCES);
        assertThat(c.state(4)).isEqualTo(RUNNING);
    }

    @ParameterizedTest(name = "-n 4 -N 2 {0}: ranks {1}")
    @CsvSource(delimiter = '|', value = {
            "block  | n1: 0,1; n2: 2,3",
            "cyclic | n1: 0,2; n2: 1,3"})
    void distributionDecidesWhichTaskRanksRunOnWhichNode(String distribution, String expected) {
        TestCluster c = cluster(node("n1", cpus(4)), node("n2", cpus(4)));
        JobSpec j = job(1).tasks(4).nodes(2);
        c.submit(distribution.trim().equals("cyclic") ? j.cyclic() : j);

        assertThat(c.scheduler.job(1).orElseThrow().allocation().stream()
                .map(s -> s.node() + ": " + s.taskIds().stream().map(String::valueOf).collect(Collectors.joining(",")))
                .collect(Collectors.joining("; "))).isEqualTo(expected.trim());
        assertThat(c.allocation(1)).isEqualTo("n1: 2 tasks, cpus 0-1; n2: 2 tasks, cpus 0-1");
    }

    @Test
    void cyclicDealsUnevenCountsRoundRobin() {
        TestCluster c = cluster(node("n1", cpus(2)), node("n2", cpus(1))).submit(job(1).tasks(3).cyclic());

        assertThat(c.scheduler.job(1).orElseThrow().allocation())
                .extracting(NodeShare::node, NodeShare::taskIds)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("n1", java.util.List.of(0, 2)),
                        org.assertj.core.groups.Tuple.tuple("n2", java.util.List.of(1)));
    }
}
