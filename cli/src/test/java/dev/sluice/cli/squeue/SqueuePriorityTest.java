package dev.sluice.cli.squeue;

import dev.sluice.cli.scontrol.FakeServices;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/** What squeue takes from the scheduler: priority order, %Q, the fresher pending reason, --start, array ids. */
class SqueuePriorityTest {
    static final String SUBMIT_JOBS = """
            [
             {"jobId": 20, "name": "low", "user": "bob", "partition": "cpu", "state": "PENDING", "reason": "Priority",
              "submitTime": "2026-11-22T09:00:00Z", "numNodes": 1, "numCpus": 1},
             {"jobId": 21, "name": "high", "user": "ann", "partition": "cpu", "state": "PENDING", "reason": "None",
              "submitTime": "2026-11-22T09:10:00Z", "numNodes": 1, "numCpus": 8},
             {"jobId": 22, "name": "third", "user": "ann", "partition": "cpu", "state": "PENDING",
              "reason": "QOSMaxJobsPerUserLimit", "submitTime": "2026-11-22T09:20:00Z", "numNodes": 1, "numCpus": 1},
             {"jobId": 19, "name": "run", "user": "ann", "partition": "cpu", "state": "RUNNING",
              "startTime": "2026-11-22T09:59:00Z", "nodes": "node01", "numNodes": 1, "numCpus": 4},
             {"jobId": 42, "name": "arr", "user": "ann", "partition": "cpu", "state": "PENDING", "reason": "JobArrayTaskLimit",
              "submitTime": "2026-11-22T09:30:00Z", "numNodes": 1, "numCpus": 1}
            ]""";
    static final String SCHED_JOBS = """
            {"jobs": [
              {"JobId": 19, "JobState": "RUNNING"},
              {"JobId": 20, "JobState": "PENDING", "Reason": "Priority", "Priority": 1200, "Nice": 0,
               "StartTime": "2026-11-22T11:00:00Z"},
              {"JobId": 21, "JobState": "PENDING", "Reason": "Resources", "Priority": 4100, "Nice": 0,
               "StartTime": "2026-11-22T10:30:00Z"},
              {"JobId": 22, "JobState": "PENDING", "Reason": "QOSMaxJobsPerUserLimit", "Priority": 4000, "Nice": 10},
              {"JobId": 42, "JobState": "PENDING", "Reason": "JobArrayTaskLimit", "Priority": 100,
               "ArrayJobId": 42, "ArrayTaskId": "[6-15%4]"}
            ]}""";

    /** What submit answers to states=PENDING (the fake does not filter). */
    static final String SUBMIT_PENDING = SUBMIT_JOBS.replaceAll("(?s)\\{\"jobId\": 19.*?\\},\\s*", "");

    FakeServices submit;
    FakeServices scheduler;

    @BeforeEach
    void start() throws IOException {
        submit = new FakeServices().on("GET", "/api/v1/jobs", 200, SUBMIT_JOBS);
        scheduler = new FakeServices().on("GET", "/api/v1/jobs", 200, SCHED_JOBS);
        submit.schedulerUrl = scheduler.url();
    }

    @AfterEach
    void stop() {
        submit.close();
        scheduler.close();
    }

    @Test
    void pendingJobsAreListedInPriorityOrderWithTheSchedulersReasons() {
        FakeServices.Result r = submit.run("squeue");
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).isEqualTo("""
                             JOBID PARTITION     NAME     USER ST       TIME  NODES NODELIST(REASON)
                                21       cpu     high      ann PD       0:00      1 (Resources)
                                22       cpu    third      ann PD       0:00      1 (QOSMaxJobsPerUserLimit)
                                20       cpu      low      bob PD       0:00      1 (Priority)
                       42_[6-15%4]       cpu      arr      ann PD       0:00      1 (JobArrayTaskLimit)
                                19       cpu      run      ann  R       1:00      1 node01
                """);
    }

    @Test
    void priorityAndNiceColumnsWithShortAndLongFormats() {
        submit.on("GET", "/api/v1/jobs", 200, SUBMIT_PENDING);
        assertThat(submit.run("squeue", "-h", "-t", "PD", "-o", "%.4A %.8Q %.4y %r").out()).isEqualTo("""
                  21     4100    0 Resources
                  22     4000   10 QOSMaxJobsPerUserLimit
                  20     1200    0 Priority
                  42      100    0 JobArrayTaskLimit
                """);
        assertThat(submit.run("squeue", "-O", "JobID:6,Priority:.8,ReasonList:30", "-t", "PD").out()).isEqualTo("""
                JOBID  PRIORITY NODELIST(REASON)
                21         4100 (Resources)
                22         4000 (QOSMaxJobsPerUserLimit)
                20         1200 (Priority)
                42_[6-      100 (JobArrayTaskLimit)
                """);
    }

    @Test
    void startShowsWhenTheSchedulerExpectsPendingJobsToStart() {
        submit.on("GET", "/api/v1/jobs", 200, SUBMIT_PENDING);
        FakeServices.Result r = submit.run("squeue", "--start");
        assertThat(r.out()).isEqualTo("""
                             JOBID PARTITION     NAME     USER ST          START_TIME  NODES SCHEDNODES           NODELIST(REASON)
                                21       cpu     high      ann PD 2026-11-22T10:30:00      1 (null)               (Resources)
                                22       cpu    third      ann PD                 N/A      1 (null)               (QOSMaxJobsPerUserLimit)
                                20       cpu      low      bob PD 2026-11-22T11:00:00      1 (null)               (Priority)
                       42_[6-15%4]       cpu      arr      ann PD                 N/A      1 (null)               (JobArrayTaskLimit)
                """);
        assertThat(submit.requestList().getLast().pathAndQuery()).isEqualTo("/api/v1/jobs?states=PENDING");
    }

    @Test
    void withoutASchedulerPriorityIsUnknownAndTheListingStillWorks() {
        scheduler.close();
        submit.on("GET", "/api/v1/jobs", 200, SUBMIT_PENDING);
        FakeServices.Result r = submit.run("squeue", "-h", "-o", "%i %Q %r", "-t", "PD");
        assertThat(r.rc()).isZero();
        assertThat(r.out()).isEqualTo("""
                20 N/A Priority
                21 N/A None
                22 N/A QOSMaxJobsPerUserLimit
                42 N/A JobArrayTaskLimit
                """);
    }
}
