package dev.sluice.cli.sacct;

import dev.sluice.cli.Harness;
import dev.sluice.cli.common.Identity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

class SacctTest {
    static final String RECORDS = """
            [
             {"jobId": "42", "jobIdRaw": "42", "jobName": "hello_world", "partition": "cpu", "account": "lab",
              "user": "alice", "uid": 1000, "group": "alice", "gid": 1000, "allocCpus": 1, "reqCpus": 1,
              "state": "COMPLETED", "exitCode": "0:0", "submit": "2026-11-22T01:02:00Z",
              "start": "2026-11-22T01:02:03Z", "end": "2026-11-22T01:02:04Z", "elapsedSeconds": 1,
              "timelimitMinutes": 5, "nodeList": "node01", "reqMemMb": 1024, "maxRssKb": null, "totalCpuMs": 1250,
              "workDir": "/home/alice", "reqTres": "billing=1,cpu=1,mem=1G,node=1",
              "allocTres": "billing=1,cpu=1,mem=1G,node=1",
              "steps": [{"stepId": "batch", "jobIdFull": "42.batch", "state": "COMPLETED", "exitCode": "0:0",
                         "start": "2026-11-22T01:02:03Z", "end": "2026-11-22T01:02:04Z", "elapsedSeconds": 1,
                         "nodeList": "node01", "maxRssKb": 2048, "totalCpuMs": 1250}]},
             {"jobId": "44", "jobName": "wait", "partition": "cpu", "account": "lab", "user": "alice",
              "allocCpus": 0, "state": "PENDING", "exitCode": "0:0", "submit": "2026-11-22T01:05:00Z",
              "start": null, "end": null, "elapsedSeconds": 0, "timelimitMinutes": null, "nodeList": null,
              "reqMemMb": 1500, "steps": []}
            ]""";

    Harness h;

    @BeforeEach
    void start() throws IOException {
        h = new Harness().answer(200, RECORDS);
    }

    @AfterEach
    void stop() {
        h.close();
    }

    private static String lines(String... l) {
        return String.join("\n", l) + "\n";
    }

    @Test
    void defaultTableHasSlurmWidthsDashesTruncationAndStepRows() {
        Harness.Result r = h.run("sacct");
        assertThat(r.rc()).isZero();
        assertThat(r.out()).isEqualTo(lines(
                "JobID           JobName  Partition    Account  AllocCPUS      State ExitCode ",
                "------------ ---------- ---------- ---------- ---------- ---------- -------- ",
                "42           hello_wor+        cpu        lab          1  COMPLETED      0:0 ",
                "42.batch          batch                   lab          1  COMPLETED      0:0 ",
                "44                 wait        cpu        lab          0    PENDING      0:0 "));
    }

    @Test
    void slurmsBillingExampleReadsAsInSlurm() {
        // what accounting answers for the three jobs of Slurm's TRESBillingWeights example (CPU=1.0,Mem=0.25G)
        h.answer(200, """
                [{"jobId": "51", "state": "COMPLETED", "steps": [], "allocTres": "billing=16,cpu=1,mem=60G,node=1"},
                 {"jobId": "52", "state": "COMPLETED", "steps": [], "allocTres": "billing=16,cpu=16,mem=1G,node=1"},
                 {"jobId": "53", "state": "COMPLETED", "steps": [],
                  "allocTres": "billing=31,cpu=16,mem=60G,node=1,gres/gpu=2,gres/gpu:h100=2"}]""");
        Harness.Result r = h.run("sacct", "-X", "-o", "JobID,AllocTRES%60");
        assertThat(r.out()).isEqualTo(lines(
                "JobID                                                           AllocTRES ",
                "------------ ------------------------------------------------------------ ",
                "51                                        billing=16,cpu=1,mem=60G,node=1 ",
                "52                                        billing=16,cpu=16,mem=1G,node=1 ",
                "53            billing=31,cpu=16,mem=60G,node=1,gres/gpu=2,gres/gpu:h100=2 "));
    }

    @Test
    void allocationsOnlyWithoutHeaderAndCustomWidths() {
        Harness.Result r = h.run("sacct", "-X", "-n", "--format=JobID%5,JobName%-20,State");
        assertThat(r.out()).isEqualTo(lines(
                "   42 hello_world           COMPLETED ",
                "   44 wait                    PENDING "));
    }

    @Test
    void parsable2PrintsTimesSizesAndUnknowns() {
        Harness.Result r = h.run("sacct", "-P", "-o",
                "JobID,JobName,Elapsed,Start,End,MaxRSS,TotalCPU,ReqMem,Timelimit,NodeList");
        assertThat(r.out()).isEqualTo(lines(
                "JobID|JobName|Elapsed|Start|End|MaxRSS|TotalCPU|ReqMem|Timelimit|NodeList",
                "42|hello_world|00:00:01|2026-11-22T01:02:03|2026-11-22T01:02:04||00:01.250|1G|00:05:00|node01",
                "42.batch|batch|00:00:01|2026-11-22T01:02:03|2026-11-22T01:02:04|2M|00:01.250|||node01",
                "44|wait|00:00:00|Unknown|Unknown|||1.46G|UNLIMITED|None assigned"));
    }

    @Test
    void parsableKeepsATrailingDelimiter() {
        Harness.Result r = h.run("sacct", "-p", "--delimiter=,", "-X", "-o", "jobid,state,exitcode");
        assertThat(r.out()).isEqualTo(lines("JobID,State,ExitCode,", "42,COMPLETED,0:0,", "44,PENDING,0:0,"));
    }

    @Test
    void aUserSeesOwnJobsByDefaultAndOthersOnlyWhenAsked() {
        h.run("sacct");
        h.run("sacct", "-a");
        h.run("sacct", "-u", "bob");
        h.run("sacct", "-j", "42.batch,43");
        h.identity = new Identity("root", 0, 0);
        h.run("sacct");
        assertThat(h.requestList()).extracting(Harness.Request::pathAndQuery).containsExactly(
                "/api/v1/sacct?user=alice",
                "/api/v1/sacct?allUsers=true",
                "/api/v1/sacct?user=bob",
                "/api/v1/sacct?jobs=42%2C43",
                "/api/v1/sacct?allUsers=true");
    }

    @Test
    void filtersAndTimeWindowTravelToTheService() {
        h.run("sacct", "-s", "CD,f", "-S", "2026-11-01", "-E", "now-1hours", "-r", "gpu", "-A", "lab,ops");
        assertThat(h.requestList()).extracting(Harness.Request::pathAndQuery).containsExactly(
                "/api/v1/sacct?user=alice&account=lab%2Cops&state=COMPLETED%2CFAILED&start=2026-11-01T00%3A00%3A00Z"
                        + "&end=2026-11-22T09%3A00%3A00Z&partition=gpu");
    }

    @Test
    void badInputIsRefusedInSlurmWords() throws IOException {
        assertThat(h.run("sacct", "-o", "JobID,Colour").err()).isEqualTo("sacct: error: Invalid field requested: \"Colour\"\n");
        assertThat(h.run("sacct", "-S", "yesterday-ish").err())
                .isEqualTo("sacct: error: Invalid time specification (pos=0): yesterday-ish\n");
        assertThat(h.requestList()).isEmpty();
        Harness.Result r = h.run(Harness.nobodyListening(), "sacct");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("sacct: error: Problem talking to the database: Connection refused\n");
        h.answer(400, "{\"error\": \"Invalid user: nobody\"}");
        r = h.run("sacct", "-u", "nobody");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("sacct: error: Invalid user: nobody\n");
    }
}
