package dev.sluice.cli.sinfo;

import dev.sluice.cli.scontrol.FakeServices;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SinfoTest {
    static final String NODES = """
            {"nodes": [
              {"name": "node03", "state": "ALLOCATED", "reason": null, "cpus": 4, "allocCpus": 4, "memory": 8000,
               "allocMem": 2000, "partitions": ["cpu"]},
              {"name": "node01", "state": "IDLE", "reason": null, "cpus": 4, "allocCpus": 0, "memory": 8000,
               "allocMem": 0, "partitions": ["cpu"]},
              {"name": "node02", "state": "IDLE", "cpus": 4, "allocCpus": 0, "memory": 8000, "partitions": ["cpu"]},
              {"name": "node04", "state": "DRAINED", "reason": "bad fan", "reasonUser": "root",
               "reasonTime": "2026-11-22T09:00:00", "cpus": 4, "allocCpus": 0, "memory": 8000, "partitions": ["cpu"]},
              {"name": "gpu01", "state": "MIXED", "cpus": 8, "allocCpus": 2, "memory": 64000,
               "gres": "gpu:h100:4", "partitions": ["gpu"]},
              {"name": "gpu02", "state": "DOWN", "responding": false, "cpus": 8, "allocCpus": 0, "memory": 64000,
               "gres": "gpu:h100:4", "partitions": ["gpu"]}
            ]}""";
    static final String PARTITIONS = """
            {"partitions": [
              {"name": "cpu", "default": true, "state": "UP", "maxTime": "UNLIMITED", "nodes": "node[01-04]",
               "totalCpus": 16, "idleCpus": 8},
              {"name": "gpu", "default": false, "state": "UP", "maxTime": "1-00:00:00", "nodes": "gpu[01-02]"},
              {"name": "empty", "default": false, "state": "DOWN", "maxTime": "30:00", "nodes": ""}
            ]}""";

    FakeServices s;

    @BeforeEach
    void start() throws IOException {
        s = new FakeServices().on("GET", "/api/v1/nodes", 200, NODES).on("GET", "/api/v1/partitions", 200, PARTITIONS);
    }

    @AfterEach
    void stop() {
        s.close();
    }

    @Test
    void defaultGroupsNodesByStateWithTheDefaultPartitionStarred() {
        FakeServices.Result r = s.run("sinfo");
        assertThat(r.err()).isEmpty();
        assertThat(r.rc()).isZero();
        assertThat(r.out()).isEqualTo("""
                PARTITION AVAIL  TIMELIMIT  NODES  STATE NODELIST
                cpu*         up   infinite      2   idle node[01-02]
                cpu*         up   infinite      1  alloc node03
                cpu*         up   infinite      1  drain node04
                gpu          up 1-00:00:00      1    mix gpu01
                gpu          up 1-00:00:00      1  down* gpu02
                empty      down      30:00      0    n/a
                """);
    }

    @Test
    void partitionAndStateFiltersNarrowTheLines() {
        assertThat(s.run("sinfo", "-p", "cpu", "-t", "idle,drain").out()).isEqualTo("""
                PARTITION AVAIL  TIMELIMIT  NODES  STATE NODELIST
                cpu*         up   infinite      2   idle node[01-02]
                cpu*         up   infinite      1  drain node04
                """);
        assertThat(s.run("sinfo", "-h", "-t", "down").out()).isEqualTo("gpu          up 1-00:00:00      1  down* gpu02\n");
    }

    @Test
    void nodeOrientedListsEachNodeOnItsOwnLine() {
        assertThat(s.run("sinfo", "-N").out()).isEqualTo("""
                NODELIST  NODES PARTITION STATE
                gpu01         1 gpu       mix
                gpu02         1 gpu       down*
                node01        1 cpu*      idle
                node02        1 cpu*      idle
                node03        1 cpu*      alloc
                node04        1 cpu*      drain
                """);
    }

    @Test
    void nodeLongShowsCpusMemoryAndReason() {
        FakeServices.Result r = s.run("sinfo", "-N", "-l", "-n", "node[03-04]");
        assertThat(r.out()).isEqualTo("""
                Sun Nov 22 10:00:00 2026
                NODELIST  NODES PARTITION       STATE CPUS    S:C:T MEMORY TMP_DISK WEIGHT AVAIL_FE REASON
                node03        1 cpu*        allocated    4    1:4:1   8000        0      1   (null) none
                node04        1 cpu*          drained    4    1:4:1   8000        0      1   (null) bad fan
                """);
    }

    @Test
    void reasonsListsOnlyNodesOutOfService() {
        assertThat(s.run("sinfo", "-R").out()).isEqualTo("""
                REASON               USER      TIMESTAMP           NODELIST
                Not responding       Unknown   Unknown             gpu02
                bad fan              root      2026-11-22T09:00:00 node04
                """);
    }

    @Test
    void customFormatSumsCpusAndShowsGres() {
        assertThat(s.run("sinfo", "-o", "%P %C %G %D", "-p", "gpu").out()).isEqualTo("""
                PARTITION CPUS(A/I/O/T) GRES NODES
                gpu 2/6/8/16 gpu:h100:4 2
                """);
        assertThat(s.run("sinfo", "-s").out()).isEqualTo("""
                PARTITION AVAIL  TIMELIMIT   NODES(A/I/O/T)  NODELIST
                cpu*         up   infinite          1/2/1/4  node[01-04]
                gpu          up 1-00:00:00          1/0/1/2  gpu[01-02]
                empty      down      30:00          0/0/0/0
                """);
    }

    @Test
    void badStateAndUnreachableSchedulerAreReportedInSlurmsWords() {
        FakeServices.Result bad = s.run("sinfo", "-t", "sleepy");
        assertThat(bad.rc()).isEqualTo(1);
        assertThat(bad.err()).isEqualTo("sinfo: error: Invalid node state specified: sleepy\n");
        s.close();
        FakeServices.Result down = s.run("sinfo");
        assertThat(down.rc()).isEqualTo(1);
        assertThat(down.err()).startsWith("slurm_load_partitions: Unable to contact slurm controller");
    }

    @Test
    void hostlistFoldsRunsAndExpandsThemBack() {
        assertThat(Hostlist.compress(List.of("node10", "node02", "node01", "node04", "login"))).isEqualTo("login,node[01-02,04,10]");
        assertThat(Hostlist.expand("node[01-03,07],login")).containsExactly("node01", "node02", "node03", "node07", "login");
    }
}
