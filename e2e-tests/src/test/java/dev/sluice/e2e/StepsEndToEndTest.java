package dev.sluice.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 4's and 5's "what must be seen" for steps, as a user types them: {@code bin/srun} (outside an allocation,
 * and inside one from a batch script) on a real {@code ./sluice up --nodes 4 --cpus-per-node 8} (four node agents
 * of 8 CPUs each on this host). One cluster for the whole class, since each start costs half a minute.
 *
 * <p>Commands run as {@code nobody} when the suite runs as root, so that "ranks run as the job's user" is a real
 * check (the agents run as root, as slurmd does).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StepsEndToEndTest {
    static final int NODES = 4;
    static final int CPUS_PER_NODE = 8;
    static final int TIMEOUT_S = 300;
    static final Pattern SUBMITTED = Pattern.compile("^Submitted batch job (\\d+)$", Pattern.MULTILINE);
    /** What each task prints: its label (from --label), then the variables Slurm and PyTorch users read. */
    static final String REPORT = "echo $SLURM_PROCID $RANK $SLURM_NODEID $SLURMD_NODENAME $MASTER_ADDR $MASTER_PORT"
            + " $WORLD_SIZE $LOCAL_RANK $SLURM_LOCALID $SLURM_NTASKS";

    LocalSluice sluice;
    Path work;
    boolean asNobody;

    @BeforeAll
    void up() throws IOException {
        Path home = Files.createTempDirectory("sluice-e2e-steps");
        work = Files.createTempDirectory("sluice-e2e-steps-work");
        asNobody = "root".equals(System.getProperty("user.name"));
        // The commands run as nobody read the endpoints file and write their output here.
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxrwxrwx"));
        sluice = LocalSluice.up(home, "--nodes", Integer.toString(NODES), "--cpus-per-node", Integer.toString(CPUS_PER_NODE));
    }

    @AfterAll
    void down() {
        if (sluice != null) {
            sluice.close();
        }
    }

    // ---- plain steps ------------------------------------------------------------------------------------------

    @Test
    void fourLabelledHostnames() {
        LocalSluice.Result r = srun(work, "-n", "4", "--label", "hostname");
        assertOk(r);
        List<String> lines = r.stdout().lines().sorted().toList();
        assertThat(lines).hasSize(4);
        for (int i = 0; i < 4; i++) {
            assertThat(lines.get(i)).matches(i + ": \\S+");
        }
    }

    @Test
    void twoNodesFourTasksAgreeOnRanksNodeIdsAndMaster() {
        Map<Integer, Task> tasks = report(srun(work, "-N", "2", "-n", "4", "-l", "sh", "-c", REPORT), 4);
        Set<String> nodes = new LinkedHashSet<>();
        Set<String> masters = new LinkedHashSet<>();
        for (Map.Entry<Integer, Task> e : tasks.entrySet()) {
            Task t = e.getValue();
            assertThat(t.procId).as("SLURM_PROCID of the task labelled " + e.getKey()).isEqualTo(e.getKey());
            assertThat(t.rank).as("RANK").isEqualTo(t.procId);
            assertThat(t.worldSize).isEqualTo(4);
            assertThat(t.ntasks).isEqualTo(4);
            assertThat(t.localRank).isEqualTo(t.localId);
            nodes.add(t.node);
            masters.add(t.masterAddr + ":" + t.masterPort);
        }
        assertThat(nodes).hasSize(2);
        assertThat(masters).as("MASTER_ADDR:MASTER_PORT the same on both nodes").hasSize(1);
        // Block distribution: tasks 0-1 on the step's node 0, tasks 2-3 on its node 1.
        assertThat(tasks.get(0).nodeId).isEqualTo(0);
        assertThat(tasks.get(1).nodeId).isEqualTo(0);
        assertThat(tasks.get(2).nodeId).isEqualTo(1);
        assertThat(tasks.get(3).nodeId).isEqualTo(1);
        assertThat(tasks.get(0).node).isEqualTo(tasks.get(1).node).isNotEqualTo(tasks.get(2).node);
        assertThat(tasks.get(2).node).isEqualTo(tasks.get(3).node);
        assertThat(List.of(tasks.get(0).localId, tasks.get(1).localId, tasks.get(2).localId, tasks.get(3).localId))
                .containsExactly(0, 1, 0, 1);
    }

    @Test
    void theSeedsPlacements() {
        assertThat(nodesPerRank(srun(work, "-n", "4", "-l", "sh", "-c", REPORT), 4).values().stream().distinct().count())
                .as("-n 4 fits on one 8-CPU node").isEqualTo(1);
        Map<Integer, String> twoNodes = nodesPerRank(srun(work, "-n", "4", "-N", "2", "-l", "sh", "-c", REPORT), 4);
        assertThat(countPerNode(twoNodes).values()).as("-n 4 -N 2").containsExactly(2, 2);
        Map<Integer, String> onePerNode = nodesPerRank(srun(work, "-n", "4", "--ntasks-per-node=1", "-l", "sh", "-c", REPORT), 4);
        assertThat(countPerNode(onePerNode).values()).as("-n 4 --ntasks-per-node=1").containsExactly(1, 1, 1, 1);
        Map<Integer, String> range = nodesPerRank(srun(work, "-n", "8", "-N", "2-4", "-l", "sh", "-c", REPORT), 8);
        assertThat(countPerNode(range)).as("-n 8 -N 2-4").hasSizeBetween(2, 4);
        assertThat(countPerNode(range).values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(8);
    }

    @Test
    void srunInsideAnSbatchAllocation() throws IOException {
        Path dir = dir("batch-srun");
        Files.writeString(dir.resolve("steps.sh"), """
                #!/bin/bash
                #SBATCH --nodes=2
                #SBATCH --ntasks=4
                #SBATCH --output=steps.out
                echo "batch on $SLURMD_NODENAME"
                srun -l sh -c '%s'
                echo "step exit $?"
                srun -n 1 sh -c 'exit 5'
                echo "second step exit $?"
                """.formatted(REPORT));
        long id = sbatch(dir, "steps.sh");
        String out = Await.until(Duration.ofSeconds(TIMEOUT_S), () -> FirstJobEndToEndTest.readOrEmpty(dir.resolve("steps.out")),
                s -> s.contains("second step exit"), "steps.out of job " + id + " to hold both steps");
        assertThat(out).contains("step exit 0\n").contains("second step exit 5\n");
        Map<Integer, Task> tasks = report(new LocalSluice.Result(0, out.lines()
                .filter(l -> l.matches("\\d+: .*")).map(l -> l + "\n").reduce("", String::concat), ""), 4);
        assertThat(tasks.values().stream().map(t -> t.node).distinct()).hasSize(2);
        assertThat(out).contains("srun: error: ").contains("task 0: Exited with exit code 5");
    }

    @Test
    void theExitCodeIsTheHighestTasksAndFailuresAreNamed() {
        LocalSluice.Result r = srun(work, "-n", "3", "sh", "-c", "exit $((SLURM_PROCID + 1))");
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.stderr()).contains("task 2: Exited with exit code 3").contains("task 0: Exited with exit code 1");
    }

    @Test
    void tasksRunAsTheJobsUserInsideTheJobsCgroup() {
        LocalSluice.Result r = srun(work, "-N", "2", "-n", "2", "-l", "sh", "-c",
                "echo uid=$(id -u) job=$SLURM_JOB_ID; grep -E 'cpuset|memory' /proc/self/cgroup");
        assertOk(r);
        String expectedUid = asNobody ? "65534" : ownUid();
        Matcher m = Pattern.compile("^0: uid=(\\d+) job=(\\d+)$", Pattern.MULTILINE).matcher(r.stdout());
        assertThat(m.find()).as(r.stdout()).isTrue();
        assertThat(m.group(1)).isEqualTo(expectedUid);
        String job = m.group(2);
        assertThat(r.stdout()).contains("1: uid=" + expectedUid + " job=" + job);
        // v1 here: each task's cpuset and memory cgroup lie below the job's, on its own node.
        assertThat(r.stdout().lines().filter(l -> l.contains("cpuset")).toList())
                .hasSize(2).allSatisfy(l -> assertThat(l).contains("/job_" + job));
    }

    // ---- MPI --------------------------------------------------------------------------------------------------

    @Test
    void openMpiRingOverPmixOnTwoNodesAndTheSeeds32RanksOnFour() throws IOException {
        assumePmix();
        Path ring = build("mpicc.openmpi", "libopenmpi-dev (and openmpi-bin, libpmix-dev)", "ring.openmpi");
        LocalSluice.Result r = srun(ring.getParent(), "-N", "2", "-n", "4", "--mpi=pmix", "./ring.openmpi");
        assertRing(r, 4, 2);
        LocalSluice.Result seeds = srun(ring.getParent(), "--nodes=4", "--ntasks-per-node=8", "--mpi=pmix", "./ring.openmpi");
        assertRing(seeds, 32, 4);
        Map<String, Long> perNode = new TreeMap<>();
        ranks(seeds).values().forEach(n -> perNode.merge(n, 1L, Long::sum));
        assertThat(perNode.values()).containsOnly(8L);
    }

    @Test
    void openMpiRingInsideAnSbatchAllocation() throws IOException {
        assumePmix();
        Path ring = build("mpicc.openmpi", "libopenmpi-dev (and openmpi-bin, libpmix-dev)", "ring.openmpi");
        Path dir = ring.getParent();
        Files.writeString(dir.resolve("mpi.sh"), """
                #!/bin/bash
                #SBATCH --nodes=2
                #SBATCH --ntasks=4
                #SBATCH --output=mpi-%j.out
                srun --mpi=pmix ./ring.openmpi
                """);
        long id = sbatch(dir, "mpi.sh");
        String out = Await.until(Duration.ofSeconds(TIMEOUT_S),
                () -> FirstJobEndToEndTest.readOrEmpty(dir.resolve("mpi-" + id + ".out")),
                s -> s.contains("allreduce:") || s.contains("error"), "the ring's result in mpi-" + id + ".out");
        assertRing(new LocalSluice.Result(0, out, ""), 4, 2);
    }

    @Test
    void mpichRingOverPmi2OnTwoAndFourNodes() throws IOException {
        Path ring = build("mpicc.mpich", "libmpich-dev (and mpich)", "ring.mpich");
        assertRing(srun(ring.getParent(), "-N", "2", "-n", "4", "--mpi=pmi2", "./ring.mpich"), 4, 2);
        assertRing(srun(ring.getParent(), "-N", "4", "-n", "8", "--mpi=pmi2", "./ring.mpich"), 8, 4);
    }

    @Test
    void theSeedsPlacementsHoldForMpiSteps() throws IOException {
        assumePmix();
        Path ring = build("mpicc.openmpi", "libopenmpi-dev (and openmpi-bin, libpmix-dev)", "ring.openmpi");
        Path dir = ring.getParent();
        assertThat(ranks(srun(dir, "-n", "4", "--mpi=pmix", "./ring.openmpi")).values().stream().distinct()).hasSize(1);
        assertThat(countPerNode(ranks(srun(dir, "-n", "4", "-N", "2", "--mpi=pmix", "./ring.openmpi"))).values())
                .containsExactly(2, 2);
        assertThat(countPerNode(ranks(srun(dir, "-n", "4", "--ntasks-per-node=1", "--mpi=pmix", "./ring.openmpi"))).values())
                .containsExactly(1, 1, 1, 1);
        assertThat(countPerNode(ranks(srun(dir, "-n", "8", "-N", "2-4", "--mpi=pmix", "./ring.openmpi")))).hasSizeBetween(2, 4);
    }

    @Test
    void mpiAbortInOneRankEndsTheStepFailedWithTheRankNamed() throws IOException {
        assumePmix();
        Path ring = build("mpicc.openmpi", "libopenmpi-dev (and openmpi-bin, libpmix-dev)", "ring.openmpi");
        // The other ranks wait in a barrier and then sleep 600 s: only the launcher's abort handling ends them.
        LocalSluice.Result r = srun(ring.getParent(), "-N", "2", "-n", "4", "--mpi=pmix", "./ring.openmpi", "abort", "1");
        assertThat(r.exitCode()).as(r.stderr()).isNotZero();
        assertThat(r.stderr()).contains("MPI_Abort").containsPattern("task 1\\b");
    }

    @Test
    void mpichAbortInOneRankEndsTheStepFailedWithTheRankNamed() throws IOException {
        Path ring = build("mpicc.mpich", "libmpich-dev (and mpich)", "ring.mpich");
        LocalSluice.Result r = srun(ring.getParent(), "-N", "2", "-n", "4", "--mpi=pmi2", "./ring.mpich", "abort", "1");
        assertThat(r.exitCode()).as(r.stderr()).isNotZero();
        assertThat(r.stderr()).containsPattern("task 1\\b");
    }

    @Test
    void anMpiProgramWithoutMpiFailsClearlyInsteadOfHanging() throws IOException {
        Path ring = build("mpicc.openmpi", "libopenmpi-dev (and openmpi-bin, libpmix-dev)", "ring.openmpi");
        LocalSluice.Result r = srun(ring.getParent(), "-n", "2", "--mpi=none", "./ring.openmpi");
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.stdout() + r.stderr()).contains("direct launched").contains("Exited with exit code");
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    record Task(int procId, int rank, int nodeId, String node, String masterAddr, String masterPort, int worldSize,
                int localRank, int localId, int ntasks) {
    }

    /** Runs bin/srun in dir, as nobody when the suite is root. */
    LocalSluice.Result srun(Path dir, String... args) {
        return as(dir, "srun", args);
    }

    long sbatch(Path dir, String script) {
        LocalSluice.Result r = as(dir, "sbatch", script);
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        Matcher m = SUBMITTED.matcher(r.stdout());
        assertThat(m.find()).as(r.stdout()).isTrue();
        return Long.parseLong(m.group(1));
    }

    /** bin/ on PATH, as a user who installed Sluice has it: batch scripts call plain {@code srun}. */
    LocalSluice.Result as(Path dir, String command, String... args) {
        List<String> cmd = new ArrayList<>(List.of("env", "PATH=" + LocalSluice.REPO.resolve("bin") + ":" + System.getenv("PATH")));
        if (asNobody) {
            cmd.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"));
        }
        cmd.add(LocalSluice.REPO.resolve("bin").resolve(command).toString());
        cmd.addAll(List.of(args));
        return sluice.run(dir, TIMEOUT_S, cmd);
    }

    Path dir(String name) throws IOException {
        Path d = Files.createDirectories(work.resolve(name));
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxrwxrwx"));
        return d;
    }

    /** examples/mpi/ring.c built with the given compiler into a folder the job's user can read. */
    Path build(String compiler, String debianPackage, String binary) throws IOException {
        Assumptions.assumeTrue(onPath(compiler), compiler + " is not installed: apt-get install " + debianPackage);
        Path dir = dir("mpi");
        Path out = dir.resolve(binary);
        if (!Files.exists(out)) {
            LocalSluice.Result r = sluice.run(dir, TIMEOUT_S, List.of(compiler, "-O2", "-o", out.toString(),
                    LocalSluice.REPO.resolve("examples/mpi/ring.c").toString()));
            assertThat(r.exitCode()).as(r.stderr()).isZero();
        }
        return out;
    }

    void assumePmix() {
        Assumptions.assumeTrue(agentServes("pmix"), "the node agents mark --mpi=pmix unavailable (GET /api/v1/mpi)");
    }

    /** Whether node01's agent lists the MPI plugin as available ({@code srun --mpi=list} reads the same). */
    boolean agentServes(String plugin) {
        try {
            String body = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create(sluice.endpoints().getProperty("node01.url") + "/api/v1/mpi")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = Pattern.compile("\\{[^}]*\"name\"\\s*:\\s*\"" + plugin + "\"[^}]*}").matcher(body);
            return m.find() && !m.group().replaceAll("\\s", "").contains("\"available\":false");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static String ownUid() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:"))
                    .map(l -> l.substring(4).trim().split("\\s+")[0]).findFirst().orElse("?");
        } catch (IOException e) {
            return "?";
        }
    }

    static boolean onPath(String program) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return false;
    }

    static void assertOk(LocalSluice.Result r) {
        assertThat(r.exitCode()).as("srun exit code; stderr: " + r.stderr() + "\nstdout: " + r.stdout()).isZero();
    }

    /** The REPORT lines of a successful labelled step, by label. */
    static Map<Integer, Task> report(LocalSluice.Result r, int expected) {
        assertOk(r);
        Map<Integer, Task> tasks = new TreeMap<>();
        for (String line : r.stdout().lines().toList()) {
            Matcher m = Pattern.compile("^\\s*(\\d+): (.*)$").matcher(line);
            if (!m.matches()) {
                continue;
            }
            String[] w = m.group(2).trim().split("\\s+");
            assertThat(w).as("the variables of task " + m.group(1) + ": " + line).hasSize(10);
            tasks.put(Integer.parseInt(m.group(1)), new Task(Integer.parseInt(w[0]), Integer.parseInt(w[1]),
                    Integer.parseInt(w[2]), w[3], w[4], w[5], Integer.parseInt(w[6]), Integer.parseInt(w[7]),
                    Integer.parseInt(w[8]), Integer.parseInt(w[9])));
        }
        assertThat(tasks.keySet()).as(r.stdout()).hasSize(expected);
        return tasks;
    }

    static Map<Integer, String> nodesPerRank(LocalSluice.Result r, int expected) {
        Map<Integer, String> out = new TreeMap<>();
        report(r, expected).forEach((rank, t) -> out.put(rank, t.node));
        return out;
    }

    static Map<String, Integer> countPerNode(Map<Integer, String> nodeOfRank) {
        Map<String, Integer> out = new LinkedHashMap<>();
        nodeOfRank.values().forEach(n -> out.merge(n, 1, Integer::sum));
        return out;
    }

    static final Pattern RANK_LINE = Pattern.compile("^rank (\\d+) of (\\d+) on (\\S+)$", Pattern.MULTILINE);

    /** The ring's "rank R of N on NODE" lines. */
    static Map<Integer, String> ranks(LocalSluice.Result r) {
        assertOk(r);
        Map<Integer, String> out = new TreeMap<>();
        Matcher m = RANK_LINE.matcher(r.stdout());
        while (m.find()) {
            out.put(Integer.parseInt(m.group(1)), m.group(3));
        }
        return out;
    }

    static void assertRing(LocalSluice.Result r, int size, int nodes) {
        Map<Integer, String> ranks = ranks(r);
        assertThat(ranks.keySet()).as(r.stdout()).hasSize(size);
        Matcher m = RANK_LINE.matcher(r.stdout());
        while (m.find()) {
            assertThat(Integer.parseInt(m.group(2))).as("MPI_Comm_size seen by rank " + m.group(1)).isEqualTo(size);
        }
        assertThat(ranks.values().stream().distinct()).hasSize(nodes);
        assertThat(r.stdout()).contains("ring: token " + size + " after " + size + " ranks: ok")
                .contains("allreduce: sum of ranks " + size * (size - 1) / 2 + " (expected " + size * (size - 1) / 2
                        + ") on every rank: ok");
    }
}
