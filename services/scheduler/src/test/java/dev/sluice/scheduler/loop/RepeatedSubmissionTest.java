package dev.sluice.scheduler.loop;

import dev.sluice.contracts.Topics;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.JobStateChanged;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.contracts.node.NodeRegistered;
import dev.sluice.contracts.step.StepFinished;
import dev.sluice.contracts.step.Usage;
import dev.sluice.infra.KafkaBroker;
import dev.sluice.scheduler.core.config.ClusterConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static dev.sluice.scheduler.loop.PolicyEventsTest.job;
import static dev.sluice.scheduler.loop.PolicyEventsTest.state;
import static org.assertj.core.api.Assertions.assertThat;

/** A JobSubmitted delivered again after its job ended (state record gone, scheduler restarted) runs nothing. */
class RepeatedSubmissionTest {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final ClusterConfig CONFIG =
            ClusterConfig.parse("SlurmdTimeout=3600\nPartitionName=cpu Nodes=ALL Default=YES");

    @TempDir
    Path dir;

    @Test
    void aFinishedJobSubmittedAgainIsNotRunAgain() throws Exception {
        try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"), 0);
             EventLog log = new EventLog(broker.bootstrapServers(), Topics.JOB_EVENTS)) {
            String bootstrap = broker.bootstrapServers();
            EventLog.publish(bootstrap, new NodeRegistered("n1", "b1", Instant.now(), "n1", "127.0.0.1:0", 4, 1, 4, 1,
                    List.of(0, 1, 2, 3), 8192, List.of(), List.of(), List.of()));
            JobSubmitted first = job(1, "alice");
            try (SchedulerLoop loop = new SchedulerLoop(SchedulerLoop.Settings.defaults(bootstrap), CONFIG,
                    Clock.systemUTC(), v -> { }).start()) {
                EventLog.publish(bootstrap, first);
                log.await(WAIT, "job 1 running", l -> state(l, 1).filter(s -> s.state() == JobState.RUNNING).isPresent());
                EventLog.publish(bootstrap, new StepFinished(1, "batch", "n1", Instant.now(), JobState.COMPLETED, 0, 0,
                        Usage.NONE, null));
                log.await(WAIT, "job 1 completed",
                        l -> state(l, 1).filter(s -> s.state() == JobState.COMPLETED).isPresent());
            }
            long eventsOfJob1 = log.all(JobStateChanged.class).stream().filter(s -> s.jobId() == 1).count();
            try (SchedulerLoop loop = new SchedulerLoop(SchedulerLoop.Settings.defaults(bootstrap), CONFIG,
                    Clock.systemUTC(), v -> { }).start()) {
                RecordMetadata again = send(bootstrap, first);
                awaitConsumed(bootstrap, again);
                EventLog.publish(bootstrap, job(2, "bob"));
                log.await(WAIT, "job 2 running", l -> state(l, 2).filter(s -> s.state() == JobState.RUNNING).isPresent());
                assertThat(log.all(JobStateChanged.class).stream().filter(s -> s.jobId() == 1).count())
                        .as("no new state of job 1 after its repeated submission").isEqualTo(eventsOfJob1);
            }
        }
    }

    private static RecordMetadata send(String bootstrap, JobSubmitted s) throws Exception {
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(KafkaSettings.producer(bootstrap, "test-repeat"))) {
            return p.send(KafkaCloudEvents.toRecord("sluice/test", s)).get();
        }
    }

    /** Waits until the scheduler committed its consumption past {@code r}: the record's consequences are out. */
    private static void awaitConsumed(String bootstrap, RecordMetadata r) throws Exception {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        Instant deadline = Instant.now().plus(WAIT);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            while (true) {
                OffsetAndMetadata o = admin.listConsumerGroupOffsets("sluice-scheduler").partitionsToOffsetAndMetadata()
                        .get().get(tp);
                if (o != null && o.offset() > r.offset()) {
                    return;
                }
                assertThat(Instant.now()).as("the scheduler never consumed the repeated submission").isBefore(deadline);
                Thread.sleep(200);
            }
        }
    }
}
