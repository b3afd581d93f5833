package dev.sluice.scheduler.loop;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.job.Owner;
import dev.sluice.contracts.job.Resources;
import dev.sluice.contracts.node.LaunchRequested;
import dev.sluice.contracts.node.SignalRequested;
import dev.sluice.scheduler.core.Decision;
import dev.sluice.scheduler.core.JobState;
import dev.sluice.scheduler.core.NodeShare;
import dev.sluice.scheduler.core.Reason;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** docs/steps.md: every node of an allocation hears of the job, and the other nodes hear of its end. */
class MultiNodeOutputsTest {
    private static final Instant T = Instant.parse("2026-11-22T04:00:00Z");
    private static final JobSubmitted SUB = new JobSubmitted(9, T, new Owner("u", 1001, 1001), new JobSpec("x", "cpu",
            null, null, "#!/bin/sh\n", "/tmp", null, null, Map.of(), Resources.of(4, 1, null), 0));

    @Test
    void launchGoesToEveryNodeOfTheAllocationNamingItsReceiver() {
        List<NodeShare> shares = List.of(new NodeShare("n1", 2, List.of(0, 1), 100),
                new NodeShare("n2", 2, List.of(0, 1), 100));
        var out = Outputs.records(List.of(
                new Decision.StateChanged(9, 2, JobState.PENDING, JobState.RUNNING, Reason.NONE, null, T, null, null,
                        List.of("n1", "n2")),
                new Decision.Launch("n1", 9, T, shares, 10)), "c", id -> SUB);

        List<LaunchRequested> launches = events(out, LaunchRequested.class);
        assertThat(launches).extracting(LaunchRequested::node).containsExactly("n1", "n2");
        assertThat(launches).allSatisfy(l -> {
            assertThat(l.allocation().getFirst().node()).as("the first node runs the batch script").isEqualTo("n1");
            assertThat(l.allocation()).hasSize(2);
            assertThat(l.time()).isEqualTo(T);
        });
        // keyed by the receiving node, so each agent reads its own partition
        assertThat(out.stream().filter(r -> r.topic().equals(dev.sluice.contracts.Topics.NODE_COMMANDS))
                .map(ProducerRecord::key)).containsExactly("n1", "n2");
        assertThat(ids(out)).doesNotHaveDuplicates();
    }

    @Test
    void endOfAMultiNodeJobSignalsTheOtherNodesWithJobEnd() {
        var out = Outputs.records(List.of(new Decision.StateChanged(9, 3, JobState.RUNNING, JobState.COMPLETED,
                Reason.NONE, null, T, 0, 0, List.of("n1", "n2", "n3"))), "c", id -> SUB);

        List<SignalRequested> signals = events(out, SignalRequested.class);
        assertThat(signals).extracting(SignalRequested::node).containsExactly("n2", "n3");
        assertThat(signals).allSatisfy(s -> {
            assertThat(s.reason()).isEqualTo("JOB_END");
            assertThat(s.jobId()).isEqualTo(9);
        });
    }

    @Test
    void singleNodeJobsAndJobsThatNeverRanSendNoJobEnd() {
        var out = Outputs.records(List.of(
                new Decision.StateChanged(9, 3, JobState.RUNNING, JobState.FAILED, Reason.NONE, null, T, 1, 0,
                        List.of("n1")),
                new Decision.StateChanged(10, 1, JobState.PENDING, JobState.CANCELLED, Reason.NONE, null, T, null,
                        null, List.of())), "c", id -> SUB);
        assertThat(events(out, SignalRequested.class)).isEmpty();
    }

    private static <T extends Event> List<T> events(List<ProducerRecord<String, byte[]>> out, Class<T> type) {
        return out.stream().map(r -> KafkaCloudEvents.fromRecord(new ConsumerRecord<>(r.topic(), 0, 0L, 0L,
                        org.apache.kafka.common.record.TimestampType.CREATE_TIME, 0, 0, r.key(), r.value(), r.headers(),
                        java.util.Optional.empty()))).flatMap(java.util.Optional::stream).map(ce -> ce.data())
                .filter(type::isInstance).map(type::cast).toList();
    }

    private static List<String> ids(List<ProducerRecord<String, byte[]>> out) {
        return out.stream().map(r -> new String(r.headers().lastHeader("ce_id").value())).toList();
    }
}
