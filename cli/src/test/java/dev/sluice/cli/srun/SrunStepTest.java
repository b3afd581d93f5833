package dev.sluice.cli.srun;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.cli.common.Api;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/** srun inside an allocation, against a real HTTP server on loopback that streams NDJSON as the agent does. */
class SrunStepTest {
    static final String TOKEN = "s3cret";
    FakeServer agent;
    Map<String, String> env;
    final AtomicReference<Consumer<String>> signalHandler = new AtomicReference<>();
    Consumer<Consumer<String>> savedInstaller;

    @BeforeEach
    void start() throws Exception {
        agent = new FakeServer();
        env = new LinkedHashMap<>(Map.of("SLURM_JOB_ID", "42", "SLUICE_JOB_TOKEN", TOKEN,
                "SLUICE_NODE_AGENT", agent.hostPort(), "PATH", "/usr/bin", "HOME", "/home/alice"));
        savedInstaller = Srun.signalInstaller;
        Srun.signalInstaller = signalHandler::set;
    }

    @AfterEach
    void stop() {
        Srun.signalInstaller = savedInstaller;
        agent.close();
    }

    static String out(int task, String data) {
        return "{\"type\":\"out\",\"task\":" + task + ",\"data\":" + json(data) + "}";
    }

    static String err(int task, String data) {
        return "{\"type\":\"err\",\"task\":" + task + ",\"data\":" + json(data) + "}";
    }

    static String exit(int task, String node, int code, int signal) {
        return "{\"type\":\"exit\",\"task\":" + task + ",\"node\":\"" + node + "\",\"exitCode\":" + code
                + ",\"signal\":" + signal + "}";
    }

    static String started(int ntasks) {
        return "{\"type\":\"started\",\"stepId\":0,\"nodes\":\"node[01-02]\",\"ntasks\":" + ntasks
                + ",\"tasksPerNode\":\"2(x2)\"}";
    }

    static String finished(String state, int code, int signal, String detail) {
        return "{\"type\":\"finished\",\"stepId\":0,\"state\":\"" + state + "\",\"exitCode\":" + code + ",\"signal\":"
                + signal + ",\"detail\":" + (detail == null ? "null" : json(detail)) + "}";
    }

    static String json(String s) {
        try {
            return Api.JSON.writeValueAsString(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The agent answers the step with these lines, in order, each flushed as its own chunk. */
    void stream(String... lines) {
        agent.on("POST /api/v1/jobs/42/steps", (req, reply) -> {
            reply.startStream("application/x-ndjson");
            for (String l : lines) {
                reply.line(l);
            }
        });
    }

    JsonNode stepRequest() throws Exception {
        List<FakeServer.Request> r = agent.requests("POST /api/v1/jobs/42/steps");
        assertThat(r).hasSize(1);
        assertThat(r.getFirst().headers()).containsEntry("x-sluice-job-token", TOKEN);
        return Api.JSON.readTree(r.getFirst().body());
    }

    @Test
    void labelPrefixesEveryLineWithItsTaskEvenWhenLinesArriveInPieces() throws Exception {
        stream(started(4), out(0, "node01\n"), out(1, "node"), out(2, "node02\nnode02-again\n"), out(1, "01\n"),
                out(3, "node02\n"), exit(0, "node01", 0, 0), exit(1, "node01", 0, 0), exit(2, "node02", 0, 0),
                exit(3, "node02", 0, 0), finished("COMPLETED", 0, 0, null));
        FakeServer.Result r = agent.srun(env, Path.of("/home/alice"), "-n", "4", "--label", "hostname");

        assertThat(r.rc()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).isEqualTo("0: node01\n2: node02\n2: node02-again\n1: node01\n3: node02\n");
        JsonNode body = stepRequest();
        assertThat(body.path("argv").toString()).isEqualTo("[\"hostname\"]");
        assertThat(body.path("ntasks").asInt()).isEqualTo(4);
        assertThat(body.path("label").asBoolean()).isTrue();
        assertThat(body.path("cwd").asText()).isEqualTo("/home/alice");
        assertThat(body.path("env").path("SLURM_JOB_ID").asText()).isEqualTo("42");
        assertThat(body.path("env").path("PATH").asText()).isEqualTo("/usr/bin");
    }

    @Test
    void labelsAreRightAlignedFromTenTasksOnAndStderrGoesToStderr() {
        stream(started(12), out(0, "zero\n"), out(11, "eleven\n"), err(7, "oops\n"), finished("COMPLETED", 0, 0, null));
        FakeServer.Result r = agent.srun(env, Path.of("/tmp"), "-n12", "-l", "true");
        assertThat(r.out()).isEqualTo(" 0: zero\n11: eleven\n");
        assertThat(r.err()).isEqualTo(" 7: oops\n");
    }

    @Test
    void withoutLabelOutputIsPassedThroughWholeLinesPerTask() {
        stream(started(2), out(0, "a"), out(1, "b\n"), out(0, "a\n"), out(0, "tail without newline"),
                exit(0, "node01", 0, 0), exit(1, "node01", 0, 0), finished("COMPLETED", 0, 0, null));
        FakeServer.Result r = agent.srun(env, Path.of("/tmp"), "-n", "2", "sh", "-c", "x");
        assertThat(r.out()).isEqualTo("b\naa\ntail without newline");
        assertThat(r.rc()).isZero();
    }

    @Test
    void theExitCodeIsTheHighestTaskExitCodeAndFailedTasksAreReportedAsSlurmDoes() {
        stream(started(3), exit(0, "node01", 0, 0), exit(1, "node02", 3, 0), exit(2, "node02", 1, 0),
                finished("FAILED", 3, 0, "task 1 on node02 exited with exit code 3"));
        FakeServer.Result r = agent.srun(env, Path.of("/tmp"), "-n", "3", "false");
        assertThat(r.rc()).isEqualTo(3);
        assertThat(r.err()).isEqualTo("srun: error: node02: task 1: Exited with exit code 3\n"
                + "srun: error: node02: task 2: Exited with exit code 1\n");
    }

    @Test
    void aTaskKilledByASignalGivesOneHundredTwentyEightPlusTheSignal() {
        stream(started(2), exit(0, "node01", 0, 0), exit(1, "node01", 0, 9), finished("FAILED", 0, 9, null));
        FakeServer.Result r = agent.srun(env, Path.of("/tmp"), "-n", "2", "sleep", "1");
        assertThat(r.rc()).isEqualTo(137);
        assertThat(r.err()).isEqualTo("srun: error: node01: task 1: Killed\n");
    }

    @Test
    void mpiAbortEndsTheStepWithTheRankNamed() {
        stream(started(4), out(0, "rank 0 of 4\n"), exit(1, "node01", 7, 0),
                finished("FAILED", 7, 0, "task 1 on node01 called MPI_Abort with exit code 7"));
        FakeServer.Result r = agent.srun(env, Path.of("/tmp"), "-n", "4", "--mpi=pmix", "./ring");
        assertThat(r.rc()).isEqualTo(7);
        assertThat(r.err()).contains("srun: error: task 1 on node01 called MPI_Abort with exit code 7\n");
    }

    @Test
    void aStepThatDoesNotFitGetsTheAgentsSlurmWords() {
        agent.on("POST /api/v1/jobs/42/steps", (req, reply) -> reply.json(400,
                "{\"error\":\"srun: error: Unable to create step for job 42: More processors requested than permitted\"}"));
        FakeServer.Result r = agent.srun(env, Path.of("/tmp"), "-n", "64", "hostname");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("srun: error: Unable to create step for job 42: More processors requested than permitted\n");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void aRefusedTokenIsAnError() {
        agent.on("POST /api/v1/jobs/42/steps", (req, reply) -> reply.json(403, "{\"error\":\"Invalid job token for job 42\"}"));
        FakeServer.Result r = agent.srun(env, Path.of("/tmp"), "hostname");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("srun: error: Invalid job token for job 42\n");
    }

    @Test
    void everyStepOptionReachesTheAgent() throws Exception {
        stream(started(8), finished("COMPLETED", 0, 0, null));
        FakeServer.Result r = agent.srun(env, Path.of("/home/alice"), "-N", "2-4", "--ntasks-per-node=2", "-c", "2",
                "--gpus-per-task=1", "-m", "cyclic", "--cpu-bind=verbose,none", "--mpi=pmi2", "-K", "-w", "node[01-02]",
                "-D", "runs", "-J", "train", "--", "python3", "train.py", "--lr", "0.1");
        assertThat(r.rc()).as(r.err()).isZero();
        JsonNode b = stepRequest();
        assertThat(b.path("argv").toString()).isEqualTo("[\"python3\",\"train.py\",\"--lr\",\"0.1\"]");
        assertThat(b.path("nodesMin").asInt()).isEqualTo(2);
        assertThat(b.path("nodesMax").asInt()).isEqualTo(4);
        assertThat(b.path("ntasksPerNode").asInt()).isEqualTo(2);
        assertThat(b.path("cpusPerTask").asInt()).isEqualTo(2);
        assertThat(b.path("gpusPerTask").asInt()).isEqualTo(1);
        assertThat(b.path("distribution").asText()).isEqualTo("cyclic");
        assertThat(b.path("cpuBind").asText()).isEqualTo("none");
        assertThat(b.path("mpi").asText()).isEqualTo("pmi2");
        assertThat(b.path("killOnBadExit").asBoolean()).isTrue();
        assertThat(b.path("nodelist").asText()).isEqualTo("node[01-02]");
        assertThat(b.path("cwd").asText()).isEqualTo("/home/alice/runs");
        assertThat(b.has("ntasks")).as("no -n: the agent works the count out").isFalse();
        assertThat(b.has("mem")).isFalse();
    }

    @Test
    void aPlainSrunInABatchScriptRunsTheJobsTaskCountFromSlurmNtasks() throws Exception {
        env.put("SLURM_NTASKS", "4");
        stream(started(4), finished("COMPLETED", 0, 0, null));
        agent.srun(env, Path.of("/tmp"), "hostname");
        assertThat(stepRequest().path("ntasks").asInt()).isEqualTo(4);
        agent.requests.clear();
        agent.srun(env, Path.of("/tmp"), "-N", "2", "hostname");
        assertThat(stepRequest().has("ntasks")).as("-N given: the step is shaped by the command line").isFalse();
    }

    @Test
    void theSeedsLongOptionsAndUnsetDefaultsAreLeftToTheAgent() throws Exception {
        stream(started(32), finished("COMPLETED", 0, 0, null));
        agent.srun(env, Path.of("/tmp"), "--nodes=4", "--ntasks-per-node=8", "--mpi=pmix", "./mpi_program");
        JsonNode b = stepRequest();
        assertThat(b.path("nodesMin").asInt()).isEqualTo(4);
        assertThat(b.path("nodesMax").asInt()).isEqualTo(4);
        assertThat(b.path("ntasksPerNode").asInt()).isEqualTo(8);
        assertThat(b.path("mpi").asText()).isEqualTo("pmix");
        assertThat(b.has("distribution")).isFalse();
        assertThat(b.has("cpuBind")).isFalse();
        assertThat(b.path("killOnBadExit").asBoolean()).isFalse();
    }

    @Test
    void badCommandLinesGetSrunsWords() {
        FakeServer.Result r = agent.srun(env, Path.of("/tmp"), "--bogus", "hostname");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("srun: unrecognized option '--bogus'\nTry \"srun --help\" for more information\n");
        assertThat(agent.srun(env, Path.of("/tmp"), "-n", "0", "hostname").err())
                .isEqualTo("srun: error: Invalid numeric value \"0\" for --ntasks.\n");
        assertThat(agent.srun(env, Path.of("/tmp"), "--mpi=openmpi", "hostname").err())
                .isEqualTo("srun: error: Invalid MPI type 'openmpi', --mpi=list for acceptable types\n");
        assertThat(agent.srun(env, Path.of("/tmp"), "-m", "plane=2", "hostname").err())
                .isEqualTo("srun: error: Invalid --distribution specification\n");
        assertThat(agent.srun(env, Path.of("/tmp"), "-N", "4-2", "hostname").err())
                .isEqualTo("srun: error: Invalid node count specification: 4-2\n");
        assertThat(agent.srun(env, Path.of("/tmp"), "-o", "out.%t", "hostname").err())
                .startsWith("srun: error: --output is not supported by Sluice's srun yet");
        FakeServer.Result none = agent.srun(env, Path.of("/tmp"), "-n", "2");
        assertThat(none.rc()).isEqualTo(1);
        assertThat(none.err()).isEqualTo("srun: fatal: No command given to execute.\n");
        assertThat(agent.requests("POST")).isEmpty();
    }

    @Test
    void mpiListComesFromTheAgentInsideAnAllocationAndIsStaticOutside() {
        agent.on("GET /api/v1/mpi", (req, reply) -> reply.json(200, "{\"plugins\":[\"none\",\"pmi2\",\"pmix\"],\"default\":\"none\"}"));
        FakeServer.Result r = agent.srun(env, Path.of("/tmp"), "--mpi=list");
        assertThat(r.rc()).isZero();
        assertThat(r.out()).isEqualTo("MPI plugin types are...\n\tnone\n\tpmi2\n\tpmix\n"
                + "specific pmix plugin versions available: pmix_v4\n");
        assertThat(agent.requests("GET /api/v1/mpi")).hasSize(1);
        FakeServer.Result outside = agent.srun(Map.of("PATH", "/usr/bin"), Path.of("/tmp"), "--mpi=list");
        assertThat(outside.out()).isEqualTo(r.out());
        assertThat(agent.requests("GET /api/v1/mpi")).hasSize(1);

        agent.on("GET /api/v1/mpi", (req, reply) -> reply.json(200, "[{\"name\":\"none\",\"available\":true},"
                + "{\"name\":\"pmi2\",\"available\":true},{\"name\":\"pmix\",\"available\":false}]"));
        assertThat(agent.srun(env, Path.of("/tmp"), "--mpi=list").out())
                .isEqualTo("MPI plugin types are...\n\tnone\n\tpmi2\n");
    }

    @Test
    void ctrlCShowsStatusThenForwardsSigintAndSigtermIsForwardedAsItComes() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        agent.on("POST /api/v1/jobs/42/steps/0/signal", (req, reply) -> reply.json(200, "{}"));
        agent.on("POST /api/v1/jobs/42/steps", (req, reply) -> {
            reply.startStream("application/x-ndjson");
            reply.line(started(2));
            reply.line(exit(1, "node01", 0, 0));
            reply.line(out(0, "ready\n"));
            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            while (agent.requests("POST /api/v1/jobs/42/steps/0/signal").size() < 2 && Instant.now().isBefore(deadline)) {
                Thread.sleep(20);
            }
            reply.line(exit(0, "node01", 0, 2));
            reply.line(finished("CANCELLED", 0, 2, null));
        });
        ByteArrayOutputStream stdout = new ByteArrayOutputStream() {
            @Override
            public synchronized void write(byte[] b, int off, int len) {
                super.write(b, off, len);
                if (toString(StandardCharsets.UTF_8).contains("ready")) {
                    running.countDown();
                }
            }
        };
        Thread user = Thread.ofPlatform().start(() -> {
            try {
                if (running.await(30, TimeUnit.SECONDS)) {
                    signalHandler.get().accept("INT");
                    signalHandler.get().accept("INT");
                    signalHandler.get().accept("TERM");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        FakeServer.Result r = agent.srun(stdout, env, Path.of("/tmp"), "-n", "2", "sleep", "100");
        user.join();

        assertThat(r.err()).startsWith("srun: interrupt (one more within 1 sec to abort)\n"
                + "srun: StepId=42.0 task 0: running\n"
                + "srun: sending Ctrl-C to StepId=42.0\n");
        assertThat(r.err()).contains("srun: error: node01: task 0: Interrupt\n");
        assertThat(agent.requests("POST /api/v1/jobs/42/steps/0/signal"))
                .extracting(FakeServer.Request::path)
                .containsExactly("/api/v1/jobs/42/steps/0/signal?signal=INT", "/api/v1/jobs/42/steps/0/signal?signal=TERM");
        assertThat(agent.requests("POST /api/v1/jobs/42/steps/0/signal").getFirst().headers())
                .containsEntry("x-sluice-job-token", TOKEN);
        assertThat(r.rc()).isEqualTo(130);
    }

    @Test
    void aStreamThatEndsBeforeFinishedIsAnError() {
        stream(started(1), out(0, "partial\n"));
        FakeServer.Result r = agent.srun(env, Path.of("/tmp"), "hostname");
        assertThat(r.out()).isEqualTo("partial\n");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).contains("srun: error: the node agent ended the stream of step 42.0 before the step finished");
    }

    @Test
    void anErrorEventIsShownAndTheStepStillEndsWithFinished() {
        stream(started(2), "{\"type\":\"error\",\"message\":\"node02 stopped answering\"}",
                finished("NODE_FAIL", 0, 0, "node node02 failed"));
        FakeServer.Result r = agent.srun(env, Path.of("/tmp"), "-N2", "hostname");
        assertThat(r.err()).isEqualTo("srun: error: node02 stopped answering\nsrun: error: node node02 failed\n");
        assertThat(r.rc()).isEqualTo(1);
    }

    @Test
    void anAgentThatIsNotThereIsAClearError() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        env.put("SLUICE_NODE_AGENT", "127.0.0.1:" + port);
        FakeServer.Result r = agent.srun(env, Path.of("/tmp"), "hostname");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).startsWith("srun: error: Unable to create step for job 42: cannot reach the node agent at http://127.0.0.1:" + port);
    }
}
