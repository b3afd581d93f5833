package dev.sluice.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 3's "what must be seen", through the CLI on one running local cluster of 4 nodes with 4 CPUs each:
 * what sinfo and scontrol say about the nodes and the partition, and where jobs land for each shape of request.
 * Every check reads what a user reads: command output and job output files.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SchedulingThroughCliEndToEndTest {
    static final Pattern SUBMITTED = Pattern.compile("^Submitted batch job (\\d+)$", Pattern.MULTILINE);
    static final Duration WAIT = Duration.ofSeconds(120);

    LocalSluice sluice;
    Path work;

    @BeforeAll
    void up() throws IOException {
        Path home = Files.createTempDirectory("sluice-e2e-sched");
        work = Files.createTempDirectory("sluice-e2e-sched-work");
        sluice = LocalSluice.up(home, "--nodes", "4", "--cpus-per-node", "4");
        Await.until(WAIT, () -> sluice.cli(work, "sinfo", "-h").out(),
                s -> s.equals("cpu*         up   infinite      4   idle node[01-04]\n"), "4 idle nodes in sinfo");
    }

    @AfterAll
    void down() {
        if (sluice != null) {
            sluice.close();
        }
    }

    /** Each check starts from an empty queue, so where a job lands depends only on its own request. */
    @BeforeEach
    void emptyQueue() {
        for (String id : sluice.cli(work, "squeue", "-h", "-o", "%A").out().split("\\s+")) {
            if (!id.isBlank()) {
                sluice.cli(work, "scancel", id);
            }
        }
        Await.until(WAIT, () -> sluice.cli(work, "squeue", "-h").out() + sluice.cli(work, "sinfo", "-h").out(),
                s -> s.equals("cpu*         up   infinite      4   idle node[01-04]\n"),
                "an empty queue and 4 idle nodes");
    }

    @Test
    void sinfoAndScontrolDescribeTheNodesAndThePartition() {
        assertThat(cli("sinfo", "-N", "-h", "-o", "%N %c %t %P")).isEqualTo("""
                node01 4 idle cpu*
                node02 4 idle cpu*
                node03 4 idle cpu*
                node04 4 idle cpu*
                """);
        String node = cli("scontrol", "show", "node", "node02");
        assertThat(node).startsWith("NodeName=node02 ").contains("CPUTot=4", "State=IDLE ", "Partitions=cpu\n");
        String partition = cli("scontrol", "show", "partition", "cpu");
        assertThat(partition).startsWith("PartitionName=cpu\n").contains("Default=YES", "Nodes=node[01-04]",
                "TotalCPUs=16 TotalNodes=4", "State=UP");
        assertThat(sluice.cli(work, "scontrol", "show", "job", "999999").stderr())
                .isEqualTo("slurm_load_jobs error: Invalid job id specified\n");
    }

    @Test
    void tasksLandWhereTheRequestSays() throws IOException {
        // -n 4 fits on one 4-CPU node: Slurm packs it there rather than spreading it.
        assertThat(placement("-n", "4")).matches("node0[1-4] 4");
        assertThat(placement("-n", "4", "-N", "2")).matches("node\\[0[1-4][,-]0[1-4]] 2\\(x2\\)");
        assertThat(placement("-n", "4", "--ntasks-per-node=1")).isEqualTo("node[01-04] 1(x4)");
        String spread = placement("-n", "8", "-N", "2-4");
        String[] f = spread.split(" ");
        int nodes = expandCount(f[0]);
        assertThat(nodes).as(spread).isBetween(2, 4);
        assertThat(taskSum(f[1])).as(spread).isEqualTo(8);
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    /** Runs a job that writes its node list and tasks per node, and returns that line once it has run. */
    private String placement(String... options) throws IOException {
        Path dir = Files.createTempDirectory(work, "placement");
        List<String> args = new ArrayList<>(Arrays.asList(options));
        args.addAll(List.of("-o", dir.resolve("out").toString(), "--wrap",
                "echo \"$SLURM_JOB_NODELIST $SLURM_TASKS_PER_NODE\""));
        long id = submitIn(dir, args.toArray(String[]::new));
        Await.until(WAIT, () -> cli("sacct", "-n", "-X", "-P", "-j", Long.toString(id), "-o", "State"),
                s -> s.strip().equals("COMPLETED"), "job " + id + " " + String.join(" ", options) + " to complete");
        return Files.readString(dir.resolve("out")).strip();
    }

    private long submitIn(Path dir, String... args) {
        LocalSluice.Result r = sluice.cli(dir, "sbatch", args);
        Matcher m = SUBMITTED.matcher(r.stdout());
        assertThat(m.find()).as("sbatch %s: %s%s", String.join(" ", args), r.stdout(), r.stderr()).isTrue();
        return Long.parseLong(m.group(1));
    }

    private String cli(String command, String... args) {
        LocalSluice.Result r = sluice.cli(work, command, args);
        assertThat(r.exitCode()).as("%s %s: %s", command, String.join(" ", args), r.stderr()).isZero();
        return r.stdout();
    }

    /** node[01-03,05] → 4. */
    private static int expandCount(String hostlist) {
        Matcher m = Pattern.compile("\\[(.*)]").matcher(hostlist);
        if (!m.find()) {
            return 1;
        }
        int n = 0;
        for (String r : m.group(1).split(",")) {
            String[] ab = r.split("-");
            n += ab.length == 1 ? 1 : Integer.parseInt(ab[1]) - Integer.parseInt(ab[0]) + 1;
        }
        return n;
    }

    /** Slurm's 2(x3),1 → 7. */
    private static int taskSum(String perNode) {
        int sum = 0;
        for (String part : perNode.split(",")) {
            Matcher m = Pattern.compile("(\\d+)(?:\\(x(\\d+)\\))?").matcher(part);
            assertThat(m.matches()).as(perNode).isTrue();
            sum += Integer.parseInt(m.group(1)) * (m.group(2) == null ? 1 : Integer.parseInt(m.group(2)));
        }
        return sum;
    }
}
