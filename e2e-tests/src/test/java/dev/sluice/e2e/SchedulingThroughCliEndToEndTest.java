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
 * where jobs land, what sinfo/squeue/scontrol say while the cluster is full, and that fairshare orders waiting
 * jobs by their accounts' shares, that a short job backfills past a blocked wide one while a long one does not,
 * that a drained node finishes its job and takes no new one, and that a held job waits until released. Every check
 * reads what a user reads: command output and job output files.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SchedulingThroughCliEndToEndTest {
    static final Pattern SUBMITTED = Pattern.compile("^Submitted batch job (\\d+)$", Pattern.MULTILINE);
    static final Duration WAIT = Duration.ofSeconds(120);
    static final String USER = System.getProperty("user.name");

    LocalSluice sluice;
    Path work;

    @BeforeAll
    void up() throws IOException {
        Path home = Files.createTempDirectory("sluice-e2e-sched");
        work = Files.createTempDirectory("sluice-e2e-sched-work");
        // Only fairshare orders jobs here, so the shares decide and nothing else (age, size) can tip the order.
        Files.writeString(home.resolve("sluice.conf"), """
                ClusterName=sluice
                PriorityType=priority/multifactor
                PriorityWeightFairshare=10000
                PriorityWeightAge=0
                PriorityWeightJobSize=0
                PriorityWeightPartition=0
                PriorityWeightQOS=0
                PartitionName=cpu Nodes=ALL Default=YES MaxTime=INFINITE State=UP
                """);
        sluice = LocalSluice.up(home, "--nodes", "4", "--cpus-per-node", "4");
        // Every job but the two fairshare ones runs under "ops" (the default account, added first), so that the
        // two labs have no usage at all when their jobs compete.
        cli("sacctmgr", "-i", "add", "account", "ops", "Fairshare=1");
        cli("sacctmgr", "-i", "add", "account", "lab100", "Fairshare=100");
        cli("sacctmgr", "-i", "add", "account", "lab50", "Fairshare=50");
        cli("sacctmgr", "-i", "add", "user", USER, "Account=ops");
        cli("sacctmgr", "-i", "add", "user", USER, "Account=lab100");
        cli("sacctmgr", "-i", "add", "user", USER, "Account=lab50");
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
        // A check that drained a node and failed half-way must not leave the next ones a smaller cluster.
        sluice.cli(work, "scontrol", "update", "NodeName=node[01-04]", "State=RESUME");
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

    @Test
    void aFullClusterShowsAllocatedNodesAndAJobWaitingForResources() throws IOException {
        long wide = submit("-N", "4", "--ntasks-per-node=4", "-J", "wide", "--wrap", "sleep 600");
        Await.until(WAIT, () -> cli("squeue", "-h", "-j", Long.toString(wide), "-o", "%T %R"),
                s -> s.equals("RUNNING node[01-04]\n"), "the wide job running on all 4 nodes");
        assertThat(cli("sinfo", "-h")).isEqualTo("cpu*         up   infinite      4  alloc node[01-04]\n");
        long small = submit("-n", "1", "-J", "small", "--wrap", "true");
        String row = Await.until(WAIT, () -> cli("squeue", "-h", "-j", Long.toString(small)),
                s -> s.contains("(Resources)"), "the small job waiting for resources");
        assertThat(row.strip()).matches(small + " +cpu +small +\\S+ +PD +0:00 +1 \\(Resources\\)");
        String job = cli("scontrol", "show", "job", Long.toString(small));
        assertThat(job).contains("JobState=PENDING Reason=Resources", "NodeList=(null)", "NumTasks=1");
        String running = cli("scontrol", "show", "job", Long.toString(wide));
        assertThat(running).contains("JobState=RUNNING Reason=None", "NodeList=node[01-04]", "NumNodes=4",
                "NumTasks=16");

        sluice.cli(work, "scancel", Long.toString(wide));
        Await.until(WAIT, () -> cli("sacct", "-n", "-X", "-P", "-j", Long.toString(small), "-o", "State"),
                s -> s.strip().equals("COMPLETED"), "the small job to run once the wide one is gone");
    }

    @Test
    void theAccountWithMoreSharesGoesFirstWhenBothWait() throws IOException {
        long blocker = submit("-N", "4", "--ntasks-per-node=4", "-J", "blocker", "--wrap", "sleep 600");
        Await.until(WAIT, () -> cli("squeue", "-h", "-j", Long.toString(blocker), "-o", "%t"),
                s -> s.strip().equals("R"), "the blocker running");
        // The 50-share account's job is submitted first: only the shares can put the other one ahead.
        long half = submit("-A", "lab50", "-N", "4", "--ntasks-per-node=4", "-J", "half", "--wrap", "sleep 600");
        long full = submit("-A", "lab100", "-N", "4", "--ntasks-per-node=4", "-J", "full", "--wrap", "sleep 600");
        String waiting = Await.until(WAIT, () -> cli("squeue", "-h", "-t", "PD", "-o", "%i %a %r"),
                s -> s.lines().count() == 2 && !s.contains("None"), "both jobs waiting with a reason");
        // squeue lists waiting jobs in priority order; the first blocked job waits for resources, the rest behind it.
        assertThat(waiting).isEqualTo(full + " lab100 Resources\n" + half + " lab50 Priority\n");

        sluice.cli(work, "scancel", Long.toString(blocker));
        Await.until(WAIT, () -> cli("squeue", "-h", "-o", "%i %t"),
                s -> s.contains(full + " R"), "the 100-share job to start");
        assertThat(cli("squeue", "-h", "-j", Long.toString(half), "-o", "%t %r")).isEqualTo("PD Resources\n");
    }

    /**
     * EASY backfill, judged by reservations rather than by timings: the wide job needs all 4 nodes and gets the
     * reservation at the blocker's end (its -t 30). A 1-CPU job with -t 1 ends before that and starts at once on the
     * 2 free nodes; a 1-CPU job with -t 60 would still run there at that time, so it waits, and the wide job starts
     * before it as soon as the blocker is gone.
     */
    @Test
    void aShortJobBackfillsPastABlockedWideJobAndALongOneDoesNot() throws IOException {
        long blocker = submit("-N", "2", "--ntasks-per-node=4", "-t", "30", "-J", "blocker", "--wrap", "sleep 600");
        Await.until(WAIT, () -> cli("squeue", "-h", "-j", Long.toString(blocker), "-o", "%t"),
                s -> s.strip().equals("R"), "the blocker running on 2 nodes");
        long wide = submit("-N", "4", "--ntasks-per-node=4", "-t", "30", "-J", "wide", "--wrap", "sleep 600");
        Await.until(WAIT, () -> cli("squeue", "-h", "-j", Long.toString(wide), "-o", "%t %r"),
                s -> s.equals("PD Resources\n"), "the wide job waiting for resources");
        long longOne = submit("-n", "1", "-t", "60", "-J", "long", "--wrap", "sleep 600");
        long shortOne = submit("-n", "1", "-t", "1", "-J", "short", "--wrap", "true");

        Await.until(WAIT, () -> cli("sacct", "-n", "-X", "-P", "-j", Long.toString(shortOne), "-o", "State"),
                s -> s.strip().equals("COMPLETED"), "the short job to backfill and complete");
        assertThat(cli("squeue", "-h", "-j", Long.toString(wide), "-o", "%t %r")).isEqualTo("PD Resources\n");
        // squeue --start: the wide job is expected when the blocker's 30 minutes are up (its reservation)
        java.time.LocalDateTime blockerStart = java.time.LocalDateTime.parse(
                cli("squeue", "-h", "-j", Long.toString(blocker), "-o", "%S").strip());
        String expected = cli("squeue", "--start", "-h", "-j", Long.toString(wide), "-o", "%S").strip();
        assertThat(expected).isEqualTo(blockerStart.plusMinutes(30).toString().length() == 16
                ? blockerStart.plusMinutes(30) + ":00" : blockerStart.plusMinutes(30).toString());
        assertThat(cli("squeue", "--start", "-h", "-j", Long.toString(wide))).contains(expected).contains("Resources");
        String longRow = Await.until(WAIT, () -> cli("squeue", "-h", "-j", Long.toString(longOne), "-o", "%t %r"),
                s -> s.startsWith("PD ") && !s.contains("None"), "the long job waiting with a reason");
        assertThat(longRow).as("the long job would delay the wide one").isIn("PD Priority\n", "PD Resources\n");

        sluice.cli(work, "scancel", Long.toString(blocker));
        Await.until(WAIT, () -> cli("squeue", "-h", "-j", Long.toString(wide), "-o", "%t %D"),
                s -> s.equals("R 4\n"), "the wide job to start on all 4 nodes once the blocker is gone");
        assertThat(cli("squeue", "-h", "-j", Long.toString(longOne), "-o", "%t")).isEqualTo("PD\n");
        sluice.cli(work, "scancel", Long.toString(wide));
        Await.until(WAIT, () -> cli("squeue", "-h", "-j", Long.toString(longOne), "-o", "%t"),
                s -> s.equals("R\n"), "the long job to start after the wide one");
    }

    @Test
    void aDrainedNodeFinishesItsJobStartsNothingNewAndResumeBringsItBack() throws IOException {
        long one = submit("-n", "1", "-J", "one", "--wrap", "sleep 600");
        String node = Await.until(WAIT, () -> cli("squeue", "-h", "-j", Long.toString(one), "-o", "%t %N"),
                s -> s.startsWith("R "), "the one-CPU job running").strip().substring(2);
        cli("scontrol", "update", "NodeName=" + node, "State=DRAIN", "Reason=new fans");
        Await.until(WAIT, () -> cli("sinfo", "-h", "-n", node, "-o", "%t"), s -> s.equals("drng\n"),
                node + " draining while its job runs");
        assertThat(cli("squeue", "-h", "-j", Long.toString(one), "-o", "%t")).isEqualTo("R\n");
        assertThat(cli("sinfo", "-R", "-h", "-o", "%E|%N")).isEqualTo("new fans|" + node + "\n");

        // One task on every node needs the draining node too: it must wait, whatever else is free.
        long everywhere = submit("-n", "4", "--ntasks-per-node=1", "-J", "everywhere", "--wrap", "true");
        Await.until(WAIT, () -> cli("squeue", "-h", "-j", Long.toString(everywhere), "-o", "%t %r"),
                s -> s.startsWith("PD ") && !s.contains("None"), "the 4-node job waiting");
        sluice.cli(work, "scancel", Long.toString(one));
        Await.until(WAIT, () -> cli("sinfo", "-h", "-n", node, "-o", "%t"), s -> s.equals("drain\n"),
                node + " drained once its job is gone");
        assertThat(cli("squeue", "-h", "-j", Long.toString(everywhere), "-o", "%t")).isEqualTo("PD\n");

        cli("scontrol", "update", "NodeName=" + node, "State=RESUME");
        Await.until(WAIT, () -> cli("sacct", "-n", "-X", "-P", "-j", Long.toString(everywhere), "-o", "State"),
                s -> s.strip().equals("COMPLETED"), "the 4-node job to run after resume");
        assertThat(sluice.cli(work, "scontrol", "update", "NodeName=node99", "State=RESUME").stderr())
                .isEqualTo("scontrol: error: Invalid node name specified\n");
    }

    @Test
    void aHeldJobWaitsUntilReleased() throws IOException {
        long wide = submit("-N", "4", "--ntasks-per-node=4", "-J", "wide", "--wrap", "sleep 600");
        Await.until(WAIT, () -> cli("squeue", "-h", "-j", Long.toString(wide), "-o", "%t"),
                s -> s.strip().equals("R"), "the wide job running");
        long held = submit("-n", "1", "-J", "held", "--wrap", "true");
        cli("scontrol", "hold", Long.toString(held));
        String reason = USER.equals("root") ? "JobHeldAdmin" : "JobHeldUser";
        Await.until(WAIT, () -> cli("squeue", "-h", "-j", Long.toString(held), "-o", "%t %r"),
                s -> s.equals("PD " + reason + "\n"), "the job held");
        sluice.cli(work, "scancel", Long.toString(wide));
        Await.until(WAIT, () -> cli("sinfo", "-h", "-o", "%t"), s -> s.equals("idle\n"), "the nodes idle again");
        assertThat(cli("squeue", "-h", "-j", Long.toString(held), "-o", "%t %r")).isEqualTo("PD " + reason + "\n");
        cli("scontrol", "release", Long.toString(held));
        Await.until(WAIT, () -> cli("sacct", "-n", "-X", "-P", "-j", Long.toString(held), "-o", "State"),
                s -> s.strip().equals("COMPLETED"), "the released job to run");
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

    /**
     * Fair Tree: usage in lab_a (the heavy user, this test's OS user) lowers lab_a, not lab_b. sshare shows the
     * users of both labs (a2 and b1 exist only as associations: they have no jobs and no usage).
     */
    @Test
    void aHeavyUserInOneLabDoesNotLowerTheUsersOfTheSiblingLab() throws IOException {
        cli("sacctmgr", "-i", "add", "account", "lab_a");
        cli("sacctmgr", "-i", "add", "account", "lab_b");
        cli("sacctmgr", "-i", "add", "user", USER, "Account=lab_a");
        cli("sacctmgr", "-i", "add", "user", "a2", "Account=lab_a");
        cli("sacctmgr", "-i", "add", "user", "b1", "Account=lab_b");
        java.util.Map<String, String[]> before = Await.until(WAIT, this::labShares,
                m -> m.containsKey("lab_b/b1") && m.containsKey("lab_a/a2"), "lab_a and lab_b in sshare");
        double b1Before = Double.parseDouble(before.get("lab_b/b1")[1]);

        long heavy = submit("-A", "lab_a", "-J", "heavy", "-o", "/dev/null", "--wrap", "sleep 3");
        Await.until(WAIT, () -> cli("sacct", "-n", "-X", "-P", "-j", Long.toString(heavy), "-o", "State"),
                st -> st.strip().equals("COMPLETED"), "the heavy user's job to complete");
        java.util.Map<String, String[]> after = Await.until(WAIT, this::labShares,
                m -> m.containsKey("lab_a/" + USER) && Double.parseDouble(m.get("lab_a/" + USER)[0]) > 0,
                "the heavy user's usage in sshare");

        double b1 = Double.parseDouble(after.get("lab_b/b1")[1]);
        double a2 = Double.parseDouble(after.get("lab_a/a2")[1]);
        double heavyFs = Double.parseDouble(after.get("lab_a/" + USER)[1]);
        assertThat(b1).as("b1 in the sibling lab is not lowered").isGreaterThanOrEqualTo(b1Before);
        assertThat(b1).as("b1 ranks above the heavy user's lab-mate").isGreaterThan(a2);
        assertThat(a2).as("the lab-mate without usage ranks above the heavy user").isGreaterThan(heavyFs);
    }

    /** {@code account/user} -> {RawUsage, FairShare} of the user lines of lab_a and lab_b. */
    private java.util.Map<String, String[]> labShares() {
        java.util.Map<String, String[]> out = new java.util.HashMap<>();
        for (String line : cli("sshare", "-a", "-n", "-P", "-A", "lab_a,lab_b", "-o",
                "Account,User,RawUsage,FairShare").split("\n")) {
            String[] f = line.strip().split("\\|", -1);
            if (f.length == 4 && !f[1].isBlank()) {
                out.put(f[0].strip() + "/" + f[1], new String[] {f[2], f[3]});
            }
        }
        return out;
    }

    private long submit(String... args) throws IOException {
        return submitIn(work, args);
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
