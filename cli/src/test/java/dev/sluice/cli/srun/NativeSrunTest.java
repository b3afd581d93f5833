package dev.sluice.cli.srun;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.cli.common.Api;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.sluice.cli.srun.SrunStepTest.err;
import static dev.sluice.cli.srun.SrunStepTest.exit;
import static dev.sluice.cli.srun.SrunStepTest.finished;
import static dev.sluice.cli.srun.SrunStepTest.out;
import static dev.sluice.cli.srun.SrunStepTest.started;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The C fast path (cli/native, {@code make -C cli/native}) against the same loopback agent as the Java srun: it
 * must show a step exactly as the Java srun does, and hand everything it does not handle to the Java srun.
 */
class NativeSrunTest {
    static final Path BINARY = Path.of("native/build/sluice-srun").toAbsolutePath();
    FakeServer agent;
    @TempDir
    Path dir;

    record Run(int rc, String out, String err) {
    }

    @BeforeEach
    void start() throws IOException {
        Assumptions.assumeTrue(Files.isExecutable(BINARY), "the C srun is not built: make -C cli/native");
        agent = new FakeServer();
    }

    @AfterEach
    void stop() {
        if (agent != null) {
            agent.close();
        }
    }

    ProcessBuilder srun(String... args) {
        List<String> cmd = new ArrayList<>(List.of(BINARY.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        Map<String, String> env = pb.environment();
        env.remove("SLUICE_SRUN_JAVA");
        env.put("SLURM_JOB_ID", "42");
        env.put("SLUICE_NODE_AGENT", agent.hostPort());
        env.put("SLUICE_JOB_TOKEN", "s3cret");
        env.put("SLUICE_SRUN_BIN", dir.resolve("java-srun").toString());
        return pb;
    }

    static Run run(ProcessBuilder pb) throws Exception {
        Process p = pb.start();
        p.getOutputStream().close();
        StringBuilder err = new StringBuilder();
        Thread errText = Thread.ofPlatform().start(() -> {
            try {
                err.append(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                err.append(e);
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        errText.join();
        return new Run(p.exitValue(), out, err.toString());
    }

    void stream(String... lines) {
        agent.on("POST /api/v1/jobs/42/steps", (req, reply) -> {
            reply.startStream("application/x-ndjson");
            for (String l : lines) {
                reply.line(l);
            }
        });
    }

    @Test
    void labelsExitCodesAndTheRequestAreTheJavaSruns() throws Exception {
        stream(started(12), out(0, "zero\n"), out(11, "elev"), err(7, "oops\n"), out(11, "en \u00e9\u4e2d \"q\"\n"),
                exit(3, "node02", 3, 0), exit(4, "node02", 0, 9),
                finished("FAILED", 3, 0, "task 3 on node02 exited with exit code 3"));
        Run r = run(srun("-n12", "-l", "-N", "2-4", "--ntasks-per-node=6", "-c", "2", "--gpus-per-task", "1", "-m",
                "cyclic", "--cpu-bind=none", "--mpi=pmix", "-K", "-w", "node[01-02]", "-D", ".", "--", "sh", "-c",
                "echo \"$X\"", "tab\there"));
        assertThat(r.out()).isEqualTo(" 0: zero\n11: elev" + "en \u00e9\u4e2d \"q\"\n");
        assertThat(r.err()).isEqualTo(" 7: oops\nsrun: error: node02: task 3: Exited with exit code 3\n"
                + "srun: error: node02: task 4: Killed\n");
        assertThat(r.rc()).isEqualTo(137);

        List<FakeServer.Request> reqs = agent.requests("POST /api/v1/jobs/42/steps");
        assertThat(reqs).hasSize(1);
        assertThat(reqs.getFirst().headers()).containsEntry("x-sluice-job-token", "s3cret");
        JsonNode b = Api.JSON.readTree(reqs.getFirst().body());
        assertThat(b.path("argv").toString()).isEqualTo("[\"sh\",\"-c\",\"echo \\\"$X\\\"\",\"tab\\there\"]");
        assertThat(b.path("ntasks").asInt()).isEqualTo(12);
        assertThat(b.path("nodesMin").asInt()).isEqualTo(2);
        assertThat(b.path("nodesMax").asInt()).isEqualTo(4);
        assertThat(b.path("ntasksPerNode").asInt()).isEqualTo(6);
        assertThat(b.path("cpusPerTask").asInt()).isEqualTo(2);
        assertThat(b.path("gpusPerTask").asInt()).isEqualTo(1);
        assertThat(b.path("distribution").asText()).isEqualTo("cyclic");
        assertThat(b.path("cpuBind").asText()).isEqualTo("none");
        assertThat(b.path("mpi").asText()).isEqualTo("pmix");
        assertThat(b.path("killOnBadExit").asBoolean()).isTrue();
        assertThat(b.path("label").asBoolean()).isTrue();
        assertThat(b.path("nodelist").asText()).isEqualTo("node[01-02]");
        assertThat(b.path("cwd").asText()).isEqualTo(dir.toRealPath().toString());
        assertThat(b.path("env").path("SLURM_JOB_ID").asText()).isEqualTo("42");
    }

    @Test
    void mpiAbortAndAgentErrorsAreShownInSlurmsWords() throws Exception {
        stream(started(4), out(0, "partial line"), exit(1, "node01", 7, 0),
                finished("FAILED", 7, 0, "task 1 on node01 called MPI_Abort with exit code 7"));
        Run r = run(srun("-n", "4", "--mpi=pmix", "./ring"));
        assertThat(r.out()).isEqualTo("partial line");
        assertThat(r.err()).isEqualTo("srun: error: node01: task 1: Exited with exit code 7\n"
                + "srun: error: task 1 on node01 called MPI_Abort with exit code 7\n");
        assertThat(r.rc()).isEqualTo(7);

        agent.on("POST /api/v1/jobs/42/steps", (req, reply) -> reply.json(400,
                "{\"error\":\"srun: error: Unable to create step for job 42: More processors requested than permitted\"}"));
        Run bad = run(srun("-n", "64", "hostname"));
        assertThat(bad.rc()).isEqualTo(1);
        assertThat(bad.err()).isEqualTo("srun: error: Unable to create step for job 42: More processors requested than permitted\n");
    }

    @Test
    void aPlainSrunInABatchScriptRunsTheJobsTaskCountFromSlurmNtasks() throws Exception {
        stream(started(4), finished("COMPLETED", 0, 0, null));
        ProcessBuilder pb = srun("hostname");
        pb.environment().put("SLURM_NTASKS", "4");
        assertThat(run(pb).rc()).isZero();
        pb = srun("-N", "2", "hostname");
        pb.environment().put("SLURM_NTASKS", "4");
        run(pb);
        List<FakeServer.Request> reqs = agent.requests("POST /api/v1/jobs/42/steps");
        assertThat(Api.JSON.readTree(reqs.get(0).body()).path("ntasks").asInt()).isEqualTo(4);
        assertThat(Api.JSON.readTree(reqs.get(1).body()).has("ntasks")).isFalse();
    }

    @Test
    void aStreamCutShortIsAnError() throws Exception {
        stream(started(1), out(0, "x\n"));
        Run r = run(srun("hostname"));
        assertThat(r.out()).isEqualTo("x\n");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("srun: error: the node agent ended the stream of step 42.0 before the step finished\n");
    }

    @Test
    void whatItDoesNotHandleGoesToTheJavaSrunWithTheSameArguments() throws Exception {
        Path fallback = dir.resolve("java-srun");
        Files.writeString(fallback, "#!/bin/sh\necho \"java srun($SLUICE_SRUN_JAVA): $*\"\nexit 4\n");
        fallback.toFile().setExecutable(true);
        for (String[] args : List.of(new String[] {"--bogus", "hostname"}, new String[] {"--mpi=list"},
                new String[] {"-n", "0", "true"}, new String[] {"-n", "2"}, new String[] {"--ntasks-per=2", "true"})) {
            Run r = run(srun(args));
            assertThat(r.rc()).isEqualTo(4);
            assertThat(r.out()).isEqualTo("java srun(1): " + String.join(" ", args) + "\n");
        }
        assertThat(agent.requests("POST")).isEmpty();
    }

    @Test
    void ctrlCShowsTheRunningTasksAndSigtermIsForwarded() throws Exception {
        agent.on("POST /api/v1/jobs/42/steps/0/signal", (req, reply) -> reply.json(200, "{}"));
        agent.on("POST /api/v1/jobs/42/steps", (req, reply) -> {
            reply.startStream("application/x-ndjson");
            reply.line(started(3));
            reply.line(exit(1, "node01", 0, 0));
            reply.line(out(0, "ready\n"));
            Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
            while (agent.requests("POST /api/v1/jobs/42/steps/0/signal").isEmpty() && Instant.now().isBefore(deadline)) {
                Thread.sleep(20);
            }
            reply.line(exit(0, "node01", 0, 15));
            reply.line(exit(2, "node01", 0, 15));
            reply.line(finished("CANCELLED", 0, 15, null));
        });
        Process p = srun("-n", "3", "sleep", "100").start();
        StringBuilder err = new StringBuilder();
        Thread errReader = Thread.ofPlatform().start(() -> {
            try {
                err.append(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                err.append(e);
            }
        });
        InputStream stdout = p.getInputStream();
        StringBuilder out = new StringBuilder();
        while (!out.toString().contains("ready\n")) {
            int c = stdout.read();
            assertThat(c).as("stdout ended before the step was running").isNotNegative();
            out.append((char) c);
        }
        new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
        new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        errReader.join();
        assertThat(err.toString()).startsWith("srun: interrupt (one more within 1 sec to abort)\n"
                + "srun: StepId=42.0 tasks 0,2: running\n");
        assertThat(agent.requests("POST /api/v1/jobs/42/steps/0/signal")).extracting(FakeServer.Request::path)
                .containsExactly("/api/v1/jobs/42/steps/0/signal?signal=TERM");
        assertThat(p.exitValue()).isEqualTo(143);
    }
}
