package dev.sluice.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 4: "killing an agent with kill -9: its node goes DOWN after the heartbeat timeout and its jobs end
 * NODE_FAIL (or are requeued with --requeue)", through the CLI on {@code ./sluice up --nodes 2 --cpus-per-node 2
 * --slurmd-timeout 10}.
 * {@code ./sluice kill node02} sends SIGKILL and keeps the supervisor from restarting the agent at once; the jobs'
 * own processes live on, as under a dead slurmd. When the agent is started again it still finds them, and the
 * scheduler has them killed: the job that ended NODE_FAIL and the requeued one never go on running there.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodeLossEndToEndTest {
    static final Pattern SUBMITTED = Pattern.compile("^Submitted batch job (\\d+)$", Pattern.MULTILINE);
    static final Duration WAIT = Duration.ofSeconds(120);

    LocalSluice sluice;
    Path work;
    /** This run's own sleep lengths, so processes left by another run on the host are not counted. */
    final long tag = 100_000 + new java.util.Random().nextInt(800_000);
    final String plainSleep = "sleep " + tag;
    final String requeueSleep = "sleep " + (tag + 1);
    final String both = "sleep (" + tag + "|" + (tag + 1) + ")";

    @BeforeAll
    void up() throws IOException {
        Path home = Files.createTempDirectory("sluice-e2e-nodeloss");
        work = Files.createTempDirectory("sluice-e2e-nodeloss-work");
        sluice = LocalSluice.up(home, "--nodes", "2", "--cpus-per-node", "2", "--slurmd-timeout", "10");
        Await.until(WAIT, () -> sluice.cli(work, "sinfo", "-h", "-o", "%D %t").out(), "2 idle\n"::equals,
                "2 idle nodes in sinfo");
    }

    @AfterAll
    void down() {
        if (sluice != null) {
            sluice.sluice("start", "node02"); // in case the test failed while the agent was held down
            sluice.close();
        }
    }

    @Test
    void aKilledAgentsNodeGoesDownItsJobsEndNodeFailOrRequeueAndItsOldRunsAreKilledWhenItReturns() {
        long plain = submit("-w", "node02", "--no-requeue", "-J", "plain", "--wrap", plainSleep);
        long requeue = submit("-w", "node02", "--requeue", "-J", "again", "--wrap", requeueSleep);
        awaitState(plain, "R");
        awaitState(requeue, "R");
        Await.until(WAIT, () -> processes(both), n -> n == 2, "both jobs' processes running");

        LocalSluice.Result kill = sluice.sluice("kill", "node02");
        assertThat(kill.exitCode()).as(kill.stdout() + kill.stderr()).isZero();

        String node = Await.until(WAIT, () -> cli("scontrol", "show", "node", "node02"),
                s -> s.contains("State=DOWN"), "node02 DOWN in scontrol show node");
        assertThat(node).contains("Reason=Not responding");
        assertThat(cli("sinfo", "-R", "-h")).contains("Not responding").contains("node02");
        awaitSacct(plain, "NODE_FAIL");
        // requeued: pending again under the same id, held back a while as Slurm holds a requeued job (BeginTime)
        String row = Await.until(WAIT, () -> cli("squeue", "-h", "-j", Long.toString(requeue), "-o", "%t %r"),
                s -> s.startsWith("PD"), "the --requeue job pending again");
        assertThat(row.strip()).isEqualTo("PD BeginTime");
        assertThat(processes(both)).as("the jobs' processes outlive their dead agent").isEqualTo(2);

        LocalSluice.Result start = sluice.sluice("start", "node02");
        assertThat(start.exitCode()).as(start.stdout() + start.stderr()).isZero();

        Await.until(WAIT, () -> processes(both), n -> n == 0,
                "the old runs on node02 killed once its agent is back");
        Await.until(WAIT, () -> cli("sinfo", "-h", "-n", "node02", "-o", "%t"), s -> s.strip().equals("idle"),
                "node02 back in service");
        assertThat(sacct(plain)).as("the job ended once, and stays ended").isEqualTo("NODE_FAIL");
        assertThat(cli("squeue", "-h", "-j", Long.toString(requeue), "-o", "%t").strip())
                .as("the requeued job waits to run afresh, not resumed on node02").isEqualTo("PD");
    }

    private long processes(String pattern) {
        try {
            Process p = new ProcessBuilder(List.of("pgrep", "-f", "-x", pattern)).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            return out.lines().filter(l -> !l.isBlank()).count();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void awaitState(long id, String st) {
        Await.until(WAIT, () -> cli("squeue", "-h", "-j", Long.toString(id), "-o", "%t"), s -> s.strip().equals(st),
                "job " + id + " in state " + st);
    }

    private String sacct(long id) {
        return cli("sacct", "-n", "-X", "-P", "-j", Long.toString(id), "-o", "State").strip();
    }

    private void awaitSacct(long id, String state) {
        Await.until(WAIT, () -> sacct(id), state::equals, "job " + id + " " + state + " in sacct");
    }

    private long submit(String... args) {
        LocalSluice.Result r = sluice.cli(work, "sbatch", args);
        Matcher m = SUBMITTED.matcher(r.stdout());
        assertThat(m.find()).as("sbatch %s: %s%s", String.join(" ", args), r.stdout(), r.stderr()).isTrue();
        return Long.parseLong(m.group(1));
    }

    private String cli(String command, String... args) {
        LocalSluice.Result r = sluice.cli(work, command, args);
        assertThat(r.exitCode()).as("%s %s: %s", command, String.join(" ", args), r.stderr()).isZero();
        return r.stdout();
    }
}
