package dev.sluice.cli.sprio;

import dev.sluice.cli.scontrol.FakeServices;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

class SprioTest {
    static final String JOBS = """
            {"jobs": [
              {"JobId": 12, "UserId": "bob", "Account": "physics", "QOS": "normal", "Partition": "cpu",
               "JobState": "PENDING", "Priority": 1650, "Nice": 0,
               "PriorityFactors": {"Age": 100, "Fairshare": 500, "JobSize": 50, "Partition": 1000, "QOS": 0, "Nice": 0,
                                   "TRES": "cpu=10"}},
              {"JobId": 11, "UserId": "alice", "Account": "chem", "QOS": "high", "Partition": "cpu",
               "JobState": "PENDING", "Priority": 2100, "Nice": -50,
               "PriorityFactors": {"age": 50, "fair_share": 1000, "job_size": 50, "partition": 1000, "qos": 0, "nice": -50}},
              {"JobId": 10, "UserId": "alice", "Partition": "cpu", "JobState": "RUNNING", "Priority": 3000}
            ]}""";

    FakeServices s;

    @BeforeEach
    void start() throws IOException {
        s = new FakeServices().on("GET", "/api/v1/jobs", 200, JOBS);
    }

    @AfterEach
    void stop() {
        s.close();
    }

    @Test
    void listsPendingJobsWithTheirWeightedFactors() {
        FakeServices.Result r = s.run("sprio");
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).isEqualTo("""
                          JOBID PARTITION     USER   PRIORITY        AGE  FAIRSHARE    JOBSIZE  PARTITION        QOS   NICE
                             11 cpu          alice       2100         50       1000         50       1000          0    -50
                             12 cpu            bob       1650        100        500         50       1000          0      0
                """);
        assertThat(s.run("sprio", "-h", "-u", "bob").out()).isEqualTo(
                "             12 cpu            bob       1650        100        500         50       1000          0      0\n");
        assertThat(s.run("sprio", "-j", "11", "-o", "%i %Y %F").out()).isEqualTo("JOBID PRIORITY FAIRSHARE\n11 2100 1000\n");
    }

    @Test
    void longAddsAccountSiteAndTres() {
        assertThat(s.run("sprio", "-l", "-j", "12").out()).isEqualTo("""
                          JOBID PARTITION     USER    ACCOUNT   PRIORITY       SITE        AGE  FAIRSHARE    JOBSIZE  PARTITION        QOS   NICE                 TRES
                             12 cpu            bob    physics       1650          0        100        500         50       1000          0      0               cpu=10
                """);
    }

    @Test
    void weightsShowTheConfiguredWeights() {
        s.on("GET", "/api/v1/priority/weights", 200, """
                {"weights": {"PriorityWeightAge": 1000, "PriorityWeightFairshare": 10000, "PriorityWeightJobSize": 100,
                             "PriorityWeightPartition": 1000, "PriorityWeightQOS": 2000}}""");
        assertThat(s.run("sprio", "-w").out()).isEqualTo("""
                          JOBID PARTITION     USER   PRIORITY        AGE  FAIRSHARE    JOBSIZE  PARTITION        QOS   NICE
                        Weights                                     1000      10000        100       1000       2000
                """);
    }

    @Test
    void aJobThatIsNotPendingIsNotFound() {
        FakeServices.Result r = s.run("sprio", "-j", "10");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("Unable to find jobs matching user/id(s) specified\n");
    }
}
