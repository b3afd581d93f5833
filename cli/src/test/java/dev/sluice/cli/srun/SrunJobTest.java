package dev.sluice.cli.srun;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.cli.common.Api;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * srun outside an allocation: one loopback server plays submit (the job and its states), the scheduler (where
 * node01's agent listens) and that agent (the batch script's output).
 */
class SrunJobTest {
    FakeServer cluster;
    Map<String, String> env;
    final AtomicInteger polls = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        cluster = new FakeServer();
        env = new LinkedHashMap<>(Map.of("PATH", "/usr/bin", "HOME", "/home/alice",
                "SLUICE_SCHEDULER_URL", cluster.url().toString(), "SLUICE_SRUN_BIN", "/opt/sluice/bin/srun"));
        cluster.on("POST /api/v1/jobs", (req, reply) -> reply.json(201, "{\"jobId\":7,\"message\":\"Submitted batch job 7\"}"));
        cluster.on("GET /api/v1/nodes", (req, reply) -> reply.json(200,
                "{\"nodes\":[{\"name\":\"node01\",\"address\":\"" + cluster.hostPort() + "\"}]}"));
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    /** submit shows these states, one per poll, the last one for ever after. */
    void states(String... jobs) {
        List<String> seq = new ArrayList<>(List.of(jobs));
        cluster.on("GET /api/v1/jobs/7", (req, reply) -> {
            int i = Math.min(polls.getAndIncrement(), seq.size() - 1);
            reply.json(200, seq.get(i));
        });
    }

    static String job(String state, String reason, String nodes, int exit, int signal) {
        return "{\"jobId\":7,\"state\":\"" + state + "\",\"reason\":\"" + reason + "\",\"nodes\":\"" + nodes
                + "\",\"exitCode\":" + exit + ",\"signal\":" + signal + "}";
    }

    void output(String stdout, String stderr) {
        cluster.on("GET /api/v1/jobs/7/output?stream=stdout", (req, reply) -> {
            reply.startStream("application/octet-stream");
            reply.write(stdout);
        });
        cluster.on("GET /api/v1/jobs/7/output?stream=stderr", (req, reply) -> {
            reply.startStream("application/octet-stream");
            reply.write(stderr);
        });
    }

    @Test
    void submitsAJobThatRunsTheSameSrunInsideAndStreamsItsOutput() throws Exception {
        states(job("RUNNING", "None", "node[01-02]", 0, 0), job("COMPLETED", "None", "node[01-02]", 0, 0));
        output("0: node01\n1: node01\n2: node02\n3: node02\n", "");
        FakeServer.Result r = cluster.srun(env, Path.of("/home/alice/work"), "-N", "2", "-n", "4", "-l",
                "-p", "cpu", "-t", "5", "--mem=1G", "--mpi=pmix", "-D", "sub", "hostname", "it's");

        assertThat(r.err()).isEmpty();
        assertThat(r.out()).isEqualTo("0: node01\n1: node01\n2: node02\n3: node02\n");
        assertThat(r.rc()).isZero();

        JsonNode body = Api.JSON.readTree(cluster.requests("POST /api/v1/jobs").getFirst().body());
        assertThat(body.path("workDir").asText()).isEqualTo("/home/alice/work/sub");
        assertThat(body.path("user").asText()).isEqualTo("alice");
        assertThat(body.path("env").path("SLUICE_SRUN_ATTACH").asText()).isEqualTo("1");
        String token = body.path("env").path("SLUICE_JOB_TOKEN").asText();
        assertThat(token).hasSizeGreaterThanOrEqualTo(32);
        List<String> args = new ArrayList<>();
        body.path("args").forEach(a -> args.add(a.asText()));
        assertThat(args).filteredOn(a -> !a.startsWith("--output=") && !a.startsWith("--error="))
                .containsExactlyInAnyOrder("--ntasks=4", "--job-name=hostname", "--nodes=2", "--partition=cpu",
                        "--time=5", "--mem=1G");
        // Submit is on loopback: the script's files go to a private folder srun removes at the end.
        Path spool = spool(body);
        assertThat(args).contains("--output=" + spool.resolve("stdout"), "--error=" + spool.resolve("stderr"));
        assertThat(spool).doesNotExist();
        assertThat(body.path("script").asText()).isEqualTo("#!/bin/sh\n"
                + "# Written by srun: the step it was asked for, inside this allocation.\n"
                + "exec /opt/sluice/bin/srun --ntasks=4 --nodes=2 --mpi=pmix --label -- hostname 'it'\"'\"'s'\n");

        List<FakeServer.Request> streams = cluster.requests("GET /api/v1/jobs/7/output");
        assertThat(streams).extracting(FakeServer.Request::path).containsExactlyInAnyOrder(
                "/api/v1/jobs/7/output?stream=stdout&follow=true", "/api/v1/jobs/7/output?stream=stderr&follow=true");
        assertThat(streams).allSatisfy(s -> assertThat(s.headers()).containsEntry("x-sluice-job-token", token));
    }

    @Test
    void aJobThatWaitsSaysSoAndItsExitCodeIsSrunsExitCode() {
        states(job("PENDING", "Resources", "", 0, 0), job("PENDING", "Resources", "", 0, 0),
                job("RUNNING", "None", "node01", 0, 0), job("FAILED", "NonZeroExitCode", "node01", 3, 0));
        output("partial output\n", "srun: error: node01: task 0: Exited with exit code 3\n");
        FakeServer.Result r = cluster.srun(env, Path.of("/tmp"), "--gres=gpu:8", "./train.sh");
        assertThat(r.rc()).isEqualTo(3);
        assertThat(r.out()).isEqualTo("partial output\n");
        assertThat(r.err()).isEqualTo("srun: job 7 queued and waiting for resources\n"
                + "srun: job 7 has been allocated resources\n"
                + "srun: error: node01: task 0: Exited with exit code 3\n");
    }

    @Test
    void theTaskCountFollowsNodesAndTasksPerNodeWhenNIsAbsent() throws Exception {
        states(job("COMPLETED", "None", "node[01-04]", 0, 0));
        output("", "");
        cluster.srun(env, Path.of("/tmp"), "--nodes=4", "--ntasks-per-node=8", "--mpi=pmix", "./mpi_program");
        JsonNode body = Api.JSON.readTree(cluster.requests("POST /api/v1/jobs").getFirst().body());
        List<String> args = new ArrayList<>();
        body.path("args").forEach(a -> args.add(a.asText()));
        assertThat(args).contains("--ntasks=32", "--nodes=4", "--ntasks-per-node=8", "--job-name=mpi_program");
        assertThat(body.path("script").asText()).endsWith(
                "exec /opt/sluice/bin/srun --nodes=4 --ntasks-per-node=8 --mpi=pmix --ntasks=32 -- ./mpi_program\n");
    }

    @Test
    void aRejectedJobGetsSrunsAllocationError() {
        cluster.on("POST /api/v1/jobs", (req, reply) -> reply.json(400, "{\"error\":\"Invalid partition name specified\"}"));
        FakeServer.Result r = cluster.srun(env, Path.of("/tmp"), "-p", "nope", "hostname");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("srun: error: Unable to allocate resources: Invalid partition name specified\n");
    }

    @Test
    void aCancelledJobEndsSrunWithAnErrorAndNonZero() {
        states(job("RUNNING", "None", "node01", 0, 0), job("CANCELLED", "None", "node01", 0, 15));
        output("started\n", "");
        FakeServer.Result r = cluster.srun(env, Path.of("/tmp"), "sleep", "100");
        assertThat(r.out()).isEqualTo("started\n");
        assertThat(r.err()).isEqualTo("srun: error: job 7 ended CANCELLED\n");
        assertThat(r.rc()).isEqualTo(143);
    }

    static Path spool(JsonNode submitted) {
        for (JsonNode a : submitted.path("args")) {
            if (a.asText().startsWith("--output=")) {
                return Path.of(a.asText().substring("--output=".length())).getParent();
            }
        }
        throw new AssertionError("no --output in " + submitted);
    }

    @Test
    void anAgentWithoutAnOutputStreamIsReadThroughTheScriptsFiles() {
        // The job "runs" on the second poll: it writes the files srun asked for, as the agent's stepd would.
        cluster.on("GET /api/v1/jobs/7", (req, reply) -> {
            int i = polls.getAndIncrement();
            if (i == 1) {
                Path spool = spool(Api.JSON.readTree(cluster.requests("POST /api/v1/jobs").getFirst().body()));
                java.nio.file.Files.writeString(spool.resolve("stdout"), "0: node01\n1: node01\n");
                java.nio.file.Files.writeString(spool.resolve("stderr"), "a warning\n");
            }
            reply.json(200, i == 0 ? job("RUNNING", "None", "node01", 0, 0) : job("COMPLETED", "None", "node01", 0, 0));
        });
        cluster.on("GET /api/v1/jobs/7/output", (req, reply) -> reply.json(404,
                "<html><body><h1>Resource not found</h1></body></html>"));
        FakeServer.Result r = cluster.srun(env, Path.of("/tmp"), "-n", "2", "-l", "hostname");
        assertThat(r.out()).isEqualTo("0: node01\n1: node01\n");
        assertThat(r.err()).isEqualTo("a warning\n");
        assertThat(r.rc()).isZero();
    }

    @Test
    void hostlistsGiveTheirFirstNode() {
        assertThat(JobAttach.firstNode("node[01-04]")).isEqualTo("node01");
        assertThat(JobAttach.firstNode("node[03,05-06]")).isEqualTo("node03");
        assertThat(JobAttach.firstNode("gpu1,gpu2")).isEqualTo("gpu1");
        assertThat(JobAttach.firstNode("node01")).isEqualTo("node01");
        assertThat(JobAttach.firstNode("")).isNull();
    }
}
