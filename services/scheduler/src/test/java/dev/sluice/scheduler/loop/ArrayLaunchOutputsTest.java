package dev.sluice.scheduler.loop;

import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobStateChanged;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.job.Owner;
import dev.sluice.contracts.job.Resources;
import dev.sluice.contracts.node.LaunchRequested;
import dev.sluice.scheduler.core.Decision;
import dev.sluice.scheduler.core.Input;
import dev.sluice.scheduler.core.JobState;
import dev.sluice.scheduler.core.PriorityStrategy;
import dev.sluice.scheduler.core.Scheduler;
import dev.sluice.scheduler.core.config.ClusterConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An array's tasks launched through the real core and Outputs, with the loop's bookkeeping of submit events: task
 * 42_0 is job 42, whose submit event the loop forgets when it ends, and the later tasks must still launch.
 */
class ArrayLaunchOutputsTest {
    private static final Instant T = Instant.parse("2026-11-22T04:00:00Z");

    @Test
    void everyTaskLaunchesOnceWithTheArraysScriptAndItsOwnIds() {
        ClusterConfig config = ClusterConfig.parse("SlurmdTimeout=3600\nPartitionName=cpu Nodes=ALL Default=YES");
        Scheduler core = new Scheduler(config, Clock.fixed(T, ZoneOffset.UTC), PriorityStrategy.fromConfig(config));
        JobSpec spec = new JobSpec("arr", "cpu", null, null, "#!/bin/sh\necho $SLURM_ARRAY_TASK_ID\n", "/tmp", null,
                null, Map.of(), Resources.of(1, 1, null), 0, null, null, null, null, null, null, null, null, null,
                "0-3%1", null);
        JobSubmitted sub = new JobSubmitted(42, T, new Owner("u", 1001, 1001), spec);
        Map<Long, JobSubmitted> submissions = new HashMap<>(Map.of(42L, sub));

        List<LaunchRequested> launches = new ArrayList<>();
        List<JobStateChanged> changes = new ArrayList<>();
        List<Input> next = new ArrayList<>(List.of(
                new Input.NodeRegistered("n1", "b1", List.of(0, 1), 1000, List.of()),
                Inputs.of(sub).orElseThrow()));
        for (int round = 0; round < 10 && !next.isEmpty(); round++) {
            List<Decision> decisions = core.handle(next);
            List<ProducerRecord<String, byte[]>> out = Outputs.records(decisions, "c", submissions);
            decisions.stream().filter(d -> d instanceof Decision.JobForgotten)
                    .forEach(d -> submissions.remove(((Decision.JobForgotten) d).jobId()));
            List<LaunchRequested> now = events(out, LaunchRequested.class);
            changes.addAll(events(out, JobStateChanged.class));
            launches.addAll(now);
            next = new ArrayList<>();
            for (LaunchRequested l : now) {
                next.add(new Input.StepFinished(l.jobId(), "batch", JobState.COMPLETED, 0, 0, null));
            }
        }

        assertThat(launches).extracting(LaunchRequested::jobId).containsExactly(42L, 43L, 44L, 45L);
        assertThat(launches).extracting(LaunchRequested::arrayTaskId).containsExactly(0, 1, 2, 3);
        assertThat(launches).allSatisfy(l -> {
            assertThat(l.arrayJobId()).isEqualTo(42L);
            assertThat(l.spec().script()).contains("SLURM_ARRAY_TASK_ID");
            assertThat(l.spec().array()).isEqualTo("0-3%1");
        });
        assertThat(changes).filteredOn(c -> c.state() == dev.sluice.contracts.job.JobState.COMPLETED)
                .extracting(JobStateChanged::displayId).containsExactly("42_0", "42_1", "42_2", "42_3");
        assertThat(changes).filteredOn(c -> c.state() == dev.sluice.contracts.job.JobState.PENDING)
                .extracting(JobStateChanged::displayId).contains("42_[1-3%1]", "42_[3%1]");
    }

    private static <T> List<T> events(List<ProducerRecord<String, byte[]>> out, Class<T> type) {
        return out.stream().filter(r -> !r.topic().equals(dev.sluice.contracts.Topics.SCHEDULER_STATE))
                .map(r -> KafkaCloudEvents.fromRecord(new ConsumerRecord<>(r.topic(), 0, 0L, 0L,
                        org.apache.kafka.common.record.TimestampType.CREATE_TIME, 0, 0, r.key(), r.value(), r.headers(),
                        java.util.Optional.empty()))).flatMap(java.util.Optional::stream).map(ce -> ce.data())
                .filter(type::isInstance).map(type::cast).toList();
    }
}
