package dev.sluice.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 3's GPU and limit scenarios through the CLI on a running local cluster of 2 nodes with 8 CPUs and 4 fake
 * H100s each (./sluice up --gpus-per-node, which needs root for mknod): a job asking for 8 GPUs while 4 are free
 * waits for resources and starts by itself; no GPU is ever given to two jobs; QoS, association GrpTRES and
 * MaxJobs limits hold jobs with Slurm's reasons, as squeue shows them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GpuAndLimitsThroughCliEndToEndTest {
    static final Pattern SUBMITTED = Pattern.compile("^Submitted batch job (\\d+)$", Pattern.MULTILINE);
    static final Duration WAIT = Duration.ofSeconds(120);
    static final String USER = System.getProperty("user.name");
    static final String IDLE = "cpu*         up   infinite      2   idle node[01-02]\n";

    LocalSluice sluice;
    Path work;

    @BeforeAll
    void up() throws IOException {
        Assumptions.assumeTrue(isRoot(), "fake GPUs are made with mknod, which needs root");
        Path home = Files.createTempDirectory("sluice-e2e-gpu");
        work = Files.createTempDirectory("sluice-e2e-gpu-work");
        // The scheduler takes a node's GPUs from its NodeName line, as slurmctld does from slurm.conf.
        Files.writeString(home.resolve("sluice.conf"), """
                ClusterName=sluice
                NodeName=node[01-02] Gres=gpu:h100:4
                PartitionName=cpu Nodes=ALL Default=YES MaxTime=INFINITE State=UP
                """);
        sluice = LocalSluice.up(home, "--nodes", "2", "--cpus-per-node", "8", "--gpus-per-node", "4:h100");
        cli("sacctmgr", "-i", "add", "account", "gpus");
        cli("sacctmgr", "-i", "add", "account", "small");
        cli("sacctmgr", "-i", "add", "account", "many", "MaxJobs=10");
        cli("sacctmgr", "-i", "add", "user", USER, "Account=gpus");
        cli("sacctmgr", "-i", "add", "user", USER, "Account=small");
        cli("sacctmgr", "-i", "add", "user", USER, "Account=many");
        cli("sacctmgr", "-i", "modify", "user", USER, "where", "Account=small", "set", "GrpTRES=gres/gpu=2");
        cli("sacctmgr", "-i", "add", "qos", "gpu_limit", "MaxTRESPerUser=gres/gpu=4", "MaxJobsPerUser=2");
        Await.until(WAIT, () -> sluice.cli(work, "sinfo", "-h").out(), IDLE::equals, "2 idle nodes in sinfo");
    }

    @AfterAll
    void down() {
        if (sluice != null) {
            sluice.close();
        }
    }

    @BeforeEach
    void emptyQueue() {
        for (String id : sluice.cli(work, "squeue", "-h", "-o", "%A").out().split("\\s+")) {
            if (!id.isBlank()) {
                sluice.cli(work, "scancel", id);
            }
        }
        Await.until(WAIT, () -> sluice.cli(work, "squeue", "-h").out() + sluice.cli(work, "sinfo", "-h").out(),
                IDLE::equals, "an empty queue and 2 idle nodes");
    }

    @Test
    void eightGpusWaitForResourcesWhileFourAreFreeAndStartByThemselves() throws IOException {
        long four = submit(work, "--gres=gpu:4", "-J", "four", "--wrap", "sleep 600");
        awaitState(four, "R");
        Path out = work.resolve("eight.out");
        long eight = submit(work, "-N", "2", "--gres=gpu:4", "-J", "eight", "-o", out.toString(),
                "--wrap", "echo \"$SLURM_JOB_NODELIST $SLURM_JOB_NUM_NODES\"");
        String row = Await.until(WAIT, () -> cli("squeue", "-h", "-j", Long.toString(eight), "-o", "%t %R"),
                s -> !s.isBlank() && !s.contains("None"), "the 8-GPU job to wait with a reason");
        assertThat(row).isEqualTo("PD (Resources)\n");

        sluice.cli(work, "scancel", Long.toString(four));
        awaitSacct(eight, "COMPLETED");
        assertThat(Files.readString(out)).isEqualTo("node[01-02] 2\n");
    }

    @Test
    void noGpuIsEverGivenToTwoJobs() throws IOException {
        List<Path> outs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Path out = work.resolve("share" + i + ".out");
            Files.deleteIfExists(out);
            outs.add(out);
            submit(work, "--gres=gpu:2", "-J", "share" + i, "-o", out.toString(),
                    "--wrap", "echo \"$SLURM_JOB_NODELIST $SLURM_JOB_GPUS\"; sleep 600");
        }
        long fifth = submit(work, "--gres=gpu:1", "-J", "fifth", "--wrap", "true");
        Set<String> seen = new HashSet<>();
        for (Path out : outs) {
            String line = Await.until(WAIT, () -> read(out), s -> s.endsWith("\n"), out + " to name its GPUs").strip();
            String[] f = line.split(" ");
            assertThat(f).as(line).hasSize(2);
            for (String gpu : f[1].split(",")) {
                assertThat(seen.add(f[0] + ":" + gpu)).as("GPU %s of %s given twice (%s)", gpu, f[0], seen).isTrue();
            }
        }
        assertThat(seen).hasSize(8);
        assertThat(Await.until(WAIT, () -> cli("squeue", "-h", "-j", Long.toString(fifth), "-o", "%t %r"),
                s -> !s.contains("None"), "the fifth job's reason")).isEqualTo("PD Resources\n");
    }

    @Test
    void qosMaxJobsPerUserHoldsTheThirdJob() throws IOException {
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(submit(work, "--qos=gpu_limit", "--gres=gpu:1", "-J", "q" + i, "--wrap", "sleep 600"));
        }
        awaitState(ids.get(0), "R");
        awaitState(ids.get(1), "R");
        assertThat(Await.until(WAIT, () -> cli("squeue", "-h", "-j", Long.toString(ids.get(2))),
                s -> s.contains("(QOS"), "the third job's reason").strip())
                .endsWith("PD       0:00      1 (QOSMaxJobsPerUserLimit)");
    }

    @Test
    void associationGrpTresHoldsAThreeGpuJob() throws IOException {
        long id = submit(work, "-A", "small", "--gres=gpu:3", "-J", "three", "--wrap", "sleep 600");
        assertThat(Await.until(WAIT, () -> cli("squeue", "-h", "-j", Long.toString(id), "-o", "%t %r"),
                s -> s.startsWith("PD") && !s.contains("None"), "the 3-GPU job's reason")).isEqualTo("PD AssocGrpGRES\n");
        long two = submit(work, "-A", "small", "--gres=gpu:2", "-J", "two", "--wrap", "true");
        awaitSacct(two, "COMPLETED");
    }

    @Test
    void accountMaxJobsHoldsTheEleventh() throws IOException {
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            ids.add(submit(work, "-A", "many", "-n", "1", "-J", "m" + i, "--wrap", "sleep 600"));
        }
        Await.until(WAIT, () -> cli("squeue", "-h", "-t", "R", "-o", "%A"), s -> s.lines().count() == 10,
                "ten jobs of the account running");
        assertThat(cli("squeue", "-h", "-t", "PD", "-o", "%A %r")).isEqualTo(ids.get(10) + " AssocMaxJobsLimit\n");
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    private void awaitState(long id, String st) {
        Await.until(WAIT, () -> cli("squeue", "-h", "-j", Long.toString(id), "-o", "%t"), s -> s.strip().equals(st),
                "job " + id + " in state " + st);
    }

    private void awaitSacct(long id, String state) {
        Await.until(WAIT, () -> cli("sacct", "-n", "-X", "-P", "-j", Long.toString(id), "-o", "State"),
                s -> s.strip().equals(state), "job " + id + " " + state + " in sacct");
    }

    private long submit(Path dir, String... args) {
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

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.substring(4).trim().split("\\s+")[0].equals("0");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }
}
