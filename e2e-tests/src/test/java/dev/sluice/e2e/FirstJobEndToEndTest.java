package dev.sluice.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The foundation's scenarios, as a user meets them: a real Sluice from {@code ./sluice up}, driven only through
 * {@code bin/sbatch}, {@code bin/squeue}, {@code bin/scancel} and {@code bin/sacct}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FirstJobEndToEndTest {
    static final Pattern SUBMITTED = Pattern.compile("^Submitted batch job (\\d+)$", Pattern.MULTILINE);
    static final Duration JOB_TIMEOUT = Duration.ofSeconds(90);

    LocalSluice sluice;
    Path work;

    @BeforeAll
    void up() throws IOException {
        Path home = Files.createTempDirectory("sluice-e2e-home");
        work = Files.createTempDirectory("sluice-e2e-work");
        sluice = LocalSluice.up(home);
    }

    @AfterAll
    void down() {
        if (sluice != null) {
            sluice.close();
        }
    }

    @Test
    void theSeedsHelloWorldGoesFromSbatchToSacct() throws IOException {
        Path dir = Files.createDirectories(work.resolve("hello"));
        Files.writeString(dir.resolve("job.sh"), """
                #!/bin/bash
                #SBATCH --job-name=hello_world      # job name
                #SBATCH --output=hello_world.out    # standard output file
                #SBATCH --error=hello_world.err     # standard error file
                #SBATCH --time=00:05:00             # time limit
                #SBATCH --partition=cpu             # partition
                #SBATCH --ntasks=1                  # tasks
                #SBATCH --cpus-per-task=1           # CPUs per task
                #SBATCH --mem=1G                    # memory

                echo "Running in cpu partition"
                """);
        long id = submit(dir, "job.sh");

        String out = Await.until(JOB_TIMEOUT, () -> readOrEmpty(dir.resolve("hello_world.out")),
                s -> s.contains("Running in cpu partition"), "hello_world.out to hold the job's line");
        assertThat(out).isEqualTo("Running in cpu partition\n");

        String row = awaitSacctState(dir, id, "COMPLETED");
        assertThat(row).isEqualTo(id + "|hello_world|cpu|COMPLETED|0:0");
        assertThat(dir.resolve("hello_world.err")).exists().isEmptyFile();

        LocalSluice.Result table = sluice.cli(dir, "sacct", "-j", Long.toString(id));
        assertThat(table.stdout().lines().findFirst().orElseThrow())
                .isEqualTo("JobID           JobName  Partition    Account  AllocCPUS      State ExitCode ");
        assertThat(table.stdout()).contains("hello_wor+").contains("COMPLETED").contains("0:0");
    }

    @Test
    void squeueShowsAJobWhileItRuns() throws IOException {
        Path dir = Files.createDirectories(work.resolve("running"));
        Files.writeString(dir.resolve("nap.sh"), "#!/bin/bash\n#SBATCH -J napping\nsleep 8\n");
        long id = submit(dir, "nap.sh");

        String line = Await.until(JOB_TIMEOUT, () -> jobLine(sluice.cli(dir, "squeue").stdout(), id),
                l -> l.contains(" R "), "squeue to show job " + id + " running");
        assertThat(line).contains("napping").contains("cpu");
        LocalSluice.Result squeue = sluice.cli(dir, "squeue");
        assertThat(squeue.stdout().lines().findFirst().orElseThrow())
                .isEqualTo("             JOBID PARTITION     NAME     USER ST       TIME  NODES NODELIST(REASON)");
        awaitSacctState(dir, id, "COMPLETED");
    }

    @Test
    void aScriptThatExitsThreeIsFailedWithExitCodeThree() throws IOException {
        Path dir = Files.createDirectories(work.resolve("fail"));
        Files.writeString(dir.resolve("fail.sh"), "#!/bin/bash\necho about to fail\nexit 3\n");
        long id = submit(dir, "fail.sh");
        String row = awaitSacctState(dir, id, "FAILED");
        assertThat(row).endsWith("|FAILED|3:0");
        assertThat(readOrEmpty(dir.resolve("slurm-" + id + ".out"))).isEqualTo("about to fail\n");
    }

    @Test
    void scancelEndsARunningJobAndLeavesNoProcessBehind() throws IOException {
        Path dir = Files.createDirectories(work.resolve("cancel"));
        // An unusual duration makes the job's process easy to find, and to prove gone.
        Files.writeString(dir.resolve("long.sh"), "#!/bin/bash\nsleep 6007\n");
        long id = submit(dir, "long.sh");
        Await.until(JOB_TIMEOUT, () -> jobLine(sluice.cli(dir, "squeue").stdout(), id), l -> l.contains(" R "),
                "job " + id + " to run");
        Await.until(Duration.ofSeconds(30), () -> processesMatching("sleep 6007"), n -> n > 0,
                "the job's sleep to start");

        LocalSluice.Result cancel = sluice.cli(dir, "scancel", Long.toString(id));
        assertThat(cancel.exitCode()).as(cancel.stderr()).isZero();

        awaitSacctState(dir, id, "CANCELLED");
        Await.until(Duration.ofSeconds(30), () -> processesMatching("sleep 6007"), n -> n == 0,
                "no process of the cancelled job left");
        assertThat(jobLine(sluice.cli(dir, "squeue").stdout(), id)).isEmpty();
    }

    @Test
    void badInputGetsSlurmsErrorAndANonZeroExit() throws Exception {
        Path dir = Files.createDirectories(work.resolve("bad"));
        Files.writeString(dir.resolve("ok.sh"), "#!/bin/bash\necho fine\n");
        Files.writeString(dir.resolve("empty.sh"), "");

        assertRejected(sluice.cli(dir, "sbatch", "--partition=nope", "ok.sh"), "Invalid partition name specified");
        assertRejected(sluice.cli(dir, "sbatch", "--ntasks=0", "ok.sh"), "Invalid numeric value \"0\" for --ntasks");
        assertRejected(sluice.cli(dir, "sbatch", "--mem=lots", "ok.sh"), "Invalid --mem specification");
        assertRejected(sluice.cli(dir, "sbatch", "empty.sh"), "Batch script is empty");
        assertRejected(sluice.cli(dir, "sbatch", "--no-such-option", "ok.sh"), "unrecognized option");

        HttpResponse<String> malformed = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(sluice.endpoints().getProperty("submit.url") + "/api/v1/jobs"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"script\": \"#!/bin/bash\\n"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(malformed.body()).contains("\"error\"");
    }

    private void assertRejected(LocalSluice.Result r, String message) {
        assertThat(r.exitCode()).as("exit code of a rejected sbatch").isNotZero();
        assertThat(r.stderr()).startsWith("sbatch: error: ").contains(message);
        assertThat(r.stdout()).doesNotContain("Submitted batch job");
    }

    long submit(Path dir, String script) {
        LocalSluice.Result r = sluice.cli(dir, "sbatch", script);
        assertThat(r.exitCode()).as("sbatch exit code; stderr: " + r.stderr()).isZero();
        Matcher m = SUBMITTED.matcher(r.stdout());
        assertThat(m.find()).as("sbatch output: " + r.stdout()).isTrue();
        return Long.parseLong(m.group(1));
    }

    String awaitSacctState(Path dir, long id, String state) {
        return Await.until(JOB_TIMEOUT, () -> sluice.cli(dir, "sacct", "-j", Long.toString(id), "-X", "-P", "-n",
                                "-o", "JobID,JobName,Partition,State,ExitCode").stdout().trim(),
                row -> row.contains("|" + state + "|"), "sacct to show job " + id + " " + state);
    }

    static String jobLine(String squeue, long id) {
        return squeue.lines().filter(l -> l.trim().startsWith(id + " ")).findFirst().orElse("");
    }

    static long processesMatching(String commandLine) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.equals(commandLine) || c.endsWith("/" + commandLine))
                        .orElse(false))
                .count();
    }

    static String readOrEmpty(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            return "";
        }
    }
}
