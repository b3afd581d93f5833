package dev.sluice.scheduler.loop;

import dev.sluice.contracts.Topics;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.job.Owner;
import dev.sluice.contracts.job.Resources;
import dev.sluice.scheduler.core.Job;
import dev.sluice.scheduler.core.JobRequest;
import dev.sluice.scheduler.core.JobState;
import dev.sluice.scheduler.core.Node;
import dev.sluice.scheduler.core.NodeShare;
import dev.sluice.scheduler.core.NodeState;
import dev.sluice.scheduler.core.Reason;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What the scheduler writes to its changelog reads back as the same records, and tombstones remove them. */
class StateRecordsTest {
    private static final Instant T = Instant.parse("2026-11-22T01:30:00Z");

    @Test
    void jobsAndNodesSurviveTheRoundTripAndTombstonesForgetJobs() {
        Job job = new Job(7, "some_user", "cpu", new JobRequest(2, 4, 8, 2, 1, 1024L, null, 30, true), T,
                JobState.RUNNING, Reason.NONE, 2, List.of(new NodeShare("n1", 2, List.of(0, 1), 1024)), 30, T, null,
                null, null, true, null);
        JobSubmitted submitted = new JobSubmitted(7, T, new Owner("some_user", 1001, 1001), new JobSpec("x", "cpu",
                null, null, "#!/bin/sh\n", "/tmp", null, null, Map.of("A", "b"), Resources.of(8, 1, 1024L), 30));
        Node node = new Node("n1", List.of(0, 1, 2), 4096, NodeState.MIXED, null, T, "boot-1",
                "10.0.0.7:6818");

        Map<Long, StateRecords.StoredJob> jobs = new HashMap<>();
        Map<String, Node> nodes = new HashMap<>();
        StateRecords.apply(back(StateRecords.job(job, submitted)), jobs, nodes);
        StateRecords.apply(back(StateRecords.node(node)), jobs, nodes);

        assertThat(jobs.get(7L)).isEqualTo(new StateRecords.StoredJob(job, submitted));
        assertThat(nodes.get("n1")).isEqualTo(node);

        ProducerRecord<String, byte[]> tombstone = StateRecords.jobTombstone(7);
        assertThat(tombstone.topic()).isEqualTo(Topics.SCHEDULER_STATE);
        assertThat(tombstone.key()).isEqualTo("job:7");
        StateRecords.apply(back(tombstone), jobs, nodes);
        assertThat(jobs).isEmpty();
    }

    @Test
    void anAssociationAndItsUsageBothSurviveARestart() {
        var assoc = new dev.sluice.contracts.accounting.AssociationChanged("sluice", "lab100", null, null, "root", 100,
                Map.of("MaxJobs", "10"), List.of(), null, null, false, T);
        var usage = new dev.sluice.contracts.accounting.FairshareUsage("sluice", "lab100", null, 42.0, T);
        // the same Kafka key (so both stay ordered on one partition), but two facts the restart must both find
        assertThat(usage.key()).isEqualTo(assoc.key());

        Map<String, dev.sluice.contracts.accounting.AccountingEvent> restored = new HashMap<>();
        for (var e : List.of(assoc, usage)) {
            StateRecords.apply(back(StateRecords.accounting(e)), new HashMap<>(), new HashMap<>(), restored,
                    new EndedJobs());
        }
        var book = new dev.sluice.scheduler.policy.PolicyBook();
        restored.values().forEach(book::apply);

        assertThat(book.entries().values()).containsExactlyInAnyOrder(assoc, usage);
    }

    private static ConsumerRecord<String, byte[]> back(ProducerRecord<String, byte[]> r) {
        return new ConsumerRecord<>(r.topic(), 0, 0, r.key(), r.value());
    }
}
