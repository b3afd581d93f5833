package dev.sluice.submit;

import dev.sluice.contracts.Topics;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.job.JobHoldRequested;
import dev.sluice.contracts.job.JobReleaseRequested;
import dev.sluice.contracts.job.JobRequeueRequested;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.JobStateChanged;
import dev.sluice.contracts.job.JobUpdateRequested;
import dev.sluice.infra.SluiceTestInfra;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static dev.sluice.submit.SubmitApiTest.awaitJob;
import static dev.sluice.submit.SubmitApiTest.findRecord;
import static dev.sluice.submit.SubmitApiTest.publish;
import static dev.sluice.submit.SubmitApiTest.submit;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

/** scontrol hold/release/requeue/update through submit: Slurm's checks, then one job command on Kafka. */
@QuarkusTest
@QuarkusTestResource(value = SluiceTestInfra.class, restrictToAnnotatedClass = false,
        initArgs = @ResourceArg(name = "database", value = "submit"))
class JobControlApiTest {

    private static io.restassured.response.ValidatableResponse post(long id, String op, String body) {
        return given().contentType(ContentType.JSON).body(body).post("/api/v1/jobs/" + id + "/" + op).then();
    }

    @Test
    void holdAndReleaseAPendingJob() throws Exception {
        long id = submit("#!/bin/sh\nsleep 100\n", "-t", "10");
        awaitJob(id, j -> j.state().equals("PENDING"));
        post(id, "hold", "{\"user\":\"alice\",\"admin\":true}").statusCode(202)
                .body("message", equalTo("Hold requested for job " + id));
        JobHoldRequested h = (JobHoldRequested) KafkaCloudEvents.fromRecord(findRecord(Topics.JOB_COMMANDS,
                String.valueOf(id), "sluice.job.hold-requested.v1")).orElseThrow().data();
        assertThat(h.admin()).isTrue();
        assertThat(h.requestedBy()).isEqualTo("alice");

        // The scheduler answers the hold: an admin hold is not the owner's to release.
        publish(new JobStateChanged(id, 1, null, JobState.PENDING, "JobHeldAdmin", null, Instant.now(), null, null,
                null));
        awaitJob(id, j -> "JobHeldAdmin".equals(j.reason()));
        post(id, "release", "{\"user\":\"alice\"}").statusCode(403).body("error", equalTo("Access/permission denied"));
        post(id, "release", "{\"user\":\"root\",\"admin\":true}").statusCode(202);
        JobReleaseRequested r = (JobReleaseRequested) KafkaCloudEvents.fromRecord(findRecord(Topics.JOB_COMMANDS,
                String.valueOf(id), "sluice.job.release-requested.v1")).orElseThrow().data();
        assertThat(r.jobId()).isEqualTo(id);

        post(id, "hold", "{\"user\":\"mallory\"}").statusCode(403).body("error", equalTo("Access/permission denied"));
        post(987654321L, "hold", "{}").statusCode(404).body("error", equalTo("Invalid job id specified"));
    }

    @Test
    void holdingARunningJobAndRequeueingAPendingOneAreRefusedInSlurmsWords() throws Exception {
        long id = submit("#!/bin/sh\nsleep 100\n");
        awaitJob(id, j -> j.state().equals("PENDING"));
        post(id, "requeue", "{\"user\":\"alice\"}").statusCode(409).body("error", equalTo("Job is pending execution"));
        publish(new JobStateChanged(id, 2, JobState.PENDING, JobState.RUNNING, "None", null, Instant.now(), null,
                null, "node01"));
        awaitJob(id, j -> j.state().equals("RUNNING"));
        post(id, "hold", "{\"user\":\"alice\"}").statusCode(409)
                .body("error", equalTo("Job is no longer pending execution"));
        post(id, "requeue", "{\"user\":\"alice\",\"hold\":true}").statusCode(202);
        JobRequeueRequested q = (JobRequeueRequested) KafkaCloudEvents.fromRecord(findRecord(Topics.JOB_COMMANDS,
                String.valueOf(id), "sluice.job.requeue-requested.v1")).orElseThrow().data();
        assertThat(q.hold()).isTrue();
    }

    @Test
    void updateChecksWhoMayChangeWhat() {
        long id = submit("#!/bin/sh\nsleep 100\n", "-t", "30");
        awaitJob(id, j -> j.state().equals("PENDING"));
        String path = "/api/v1/jobs/" + id;
        given().contentType(ContentType.JSON).body("{\"user\":\"alice\",\"timeLimit\":\"1:00:00\"}").patch(path)
                .then().statusCode(403).body("error", equalTo("Access/permission denied"));
        given().contentType(ContentType.JSON).body("{\"user\":\"alice\",\"priority\":5000}").patch(path)
                .then().statusCode(403);
        given().contentType(ContentType.JSON).body("{\"user\":\"alice\",\"partition\":\"nope\"}").patch(path)
                .then().statusCode(400).body("error", equalTo("Invalid partition name specified"));
        given().contentType(ContentType.JSON).body("{\"user\":\"alice\",\"timeLimit\":\"soon\"}").patch(path)
                .then().statusCode(400).body("error", equalTo("Invalid TimeLimit value"));
        given().contentType(ContentType.JSON).body("{\"user\":\"alice\"}").patch(path)
                .then().statusCode(400).body("error", equalTo("No changes specified"));
        given().contentType(ContentType.JSON).body("{\"user\":\"alice\",\"timeLimit\":\"10:00\",\"nice\":100}")
                .patch(path).then().statusCode(202).body("message", equalTo("Update requested for job " + id));
        JobUpdateRequested u = (JobUpdateRequested) KafkaCloudEvents.fromRecord(findRecord(Topics.JOB_COMMANDS,
                String.valueOf(id), "sluice.job.update-requested.v1")).orElseThrow().data();
        assertThat(u.timeLimitMinutes()).isEqualTo(10);
        assertThat(u.nice()).isEqualTo(100);
        assertThat(u.admin()).isFalse();
    }
}
