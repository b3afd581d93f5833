package dev.sluice.cli.squeue;

import dev.sluice.cli.Harness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

class SqueueTest {
    static final String JOBS = """
            [
             {"jobId": 4, "name": "hello_world", "user": "some_user", "uid": 1000, "gid": 1000, "partition": "cpu",
              "account": "lab", "qos": "normal", "state": "RUNNING", "stateShort": "R", "reason": "None",
              "submitTime": "2026-11-22T09:58:00Z", "startTime": "2026-11-22T09:59:59Z", "endTime": null,
              "timeLimitMinutes": 5, "nodes": "node01", "numNodes": 1, "numCpus": 1, "ntasks": 1,
              "cpusPerTask": 1, "memMb": 1024, "exitCode": null, "signal": null, "workDir": "/home/some_user",
              "stdout": "hello_world.out", "stderr": "hello_world.err"},
             {"jobId": 5, "name": "big", "user": "bob", "partition": "cpu", "state": "PENDING",
              "stateShort": "PD", "reason": "Resources", "submitTime": "2026-11-22T09:59:00Z",
              "startTime": null, "endTime": null, "timeLimitMinutes": null, "nodes": null, "numNodes": 4,
              "numCpus": 32},
             {"jobId": 1234567, "name": "a-very-long-job-name", "user": "averylongusername", "partition": "gpu-long-partition",
              "state": "RUNNING", "stateShort": "R", "submitTime": "2026-11-20T08:00:00Z",
              "startTime": "2026-11-21T08:58:57Z", "timeLimitMinutes": 4320, "nodes": "gpu[01-04]",
              "numNodes": 4, "numCpus": 128}
            ]""";

    Harness h;

    @BeforeEach
    void start() throws IOException {
        h = new Harness().answer(200, JOBS);
        // No scheduler: the listing must not depend on one that may happen to run on this machine.
        h.env = java.util.Map.of("HOME", "/home/alice", "PATH", "/usr/bin",
                "SLUICE_SCHEDULER_URL", Harness.nobodyListening().submit().toString());
    }

    @AfterEach
    void stop() {
        h.close();
    }

    @Test
    void defaultFormatMatchesSlurmColumnsTruncationAndOrder() {
        Harness.Result r = h.run("squeue");
        assertThat(r.rc()).isZero();
        assertThat(r.out()).isEqualTo("""
                             JOBID PARTITION     NAME     USER ST       TIME  NODES NODELIST(REASON)
                                 5       cpu      big      bob PD       0:00      4 (Resources)
                                 4       cpu hello_wo some_use  R       0:01      1 node01
                           1234567 gpu-long- a-very-l averylon  R 1-01:01:03      4 gpu[01-04]
                """);
        assertThat(h.requestList()).extracting(Harness.Request::pathAndQuery).containsExactly("/api/v1/jobs");
    }

    @Test
    void longFormatPrintsDateLineStateNamesAndLimits() {
        Harness.Result r = h.run("squeue", "-l", "-j", "4");
        assertThat(r.out()).isEqualTo("""
                Sun Nov 22 10:00:00 2026
                             JOBID PARTITION     NAME     USER    STATE       TIME TIME_LIMI  NODES NODELIST(REASON)
                                 5       cpu      big      bob  PENDING       0:00 UNLIMITED      4 (Resources)
                                 4       cpu hello_wo some_use  RUNNING       0:01      5:00      1 node01
                           1234567 gpu-long- a-very-l averylon  RUNNING 1-01:01:03 3-00:00:0      4 gpu[01-04]
                """);
        assertThat(h.requestList()).extracting(Harness.Request::pathAndQuery).containsExactly("/api/v1/jobs?jobs=4");
    }

    @Test
    void customFormatWithLeftAlignedWidthsAndNoHeader() {
        Harness.Result r = h.run("squeue", "-h", "-o", "%-20j|%.5i|%T|%C|%r|%S|%l");
        assertThat(r.out()).isEqualTo("""
                big                 |    5|PENDING|32|Resources|N/A|UNLIMITED
                hello_world         |    4|RUNNING|1|None|2026-11-22T09:59:59|5:00
                a-very-long-job-name|12345|RUNNING|128|None|2026-11-21T08:58:57|3-00:00:00
                """);
    }

    @Test
    void filtersTravelToTheServiceWithLongStateNames() {
        h.run("squeue", "-u", "bob,carol", "--me", "-t", "pd,R", "-p", "cpu", "--jobs=4,5");
        assertThat(h.requestList()).extracting(Harness.Request::pathAndQuery).containsExactly(
                "/api/v1/jobs?user=bob%2Ccarol%2Calice&jobs=4%2C5&states=PENDING%2CRUNNING&partition=cpu");
    }

    @Test
    void badStateAndBadFormatAreRejectedBeforeAnyRequest() {
        Harness.Result r = h.run("squeue", "-t", "WAITING");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("squeue: error: Invalid job state specified: WAITING\n");
        r = h.run("squeue", "-o", "%.5~");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("squeue: error: Invalid job format specification: ~\n");
        r = h.run("squeue", "--bogus");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).startsWith("squeue: unrecognized option '--bogus'\n");
        assertThat(h.requestList()).isEmpty();
    }

    @Test
    void unreachableServiceIsReportedInSlurmWords() throws IOException {
        Harness.Result r = h.run(Harness.nobodyListening(), "squeue");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n");
    }

    @Test
    void failedJobShowsItsReasonNotItsNodes() {
        h.answer(200, """
                [{"jobId": 9, "name": "x", "user": "u", "partition": "cpu", "state": "FAILED", "stateShort": "F",
                  "reason": "NonZeroExitCode", "startTime": "2026-11-22T09:00:00Z", "endTime": "2026-11-22T09:00:07Z",
                  "nodes": "node01", "numNodes": 1}]""");
        assertThat(h.run("squeue", "-h", "-t", "F").out()).isEqualTo(
                "                 9       cpu        x        u  F       0:07      1 (NonZeroExitCode)\n");
    }
}
