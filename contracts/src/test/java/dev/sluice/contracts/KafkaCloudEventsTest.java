package dev.sluice.contracts;

import dev.sluice.contracts.cloudevents.CloudEvent;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.JobStateChanged;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.job.Owner;
import dev.sluice.contracts.job.Resources;
import dev.sluice.contracts.node.SignalRequested;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KafkaCloudEventsTest {
    private static final String SOURCE = "/sluice/submit";

    static Stream<EventCatalog.Entry> catalog() {
        return EventCatalog.all().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalog")
    void everyCataloguedEventSurvivesTheTripThroughKafkaRecords(EventCatalog.Entry entry) throws IOException {
        Event event = KafkaCloudEvents.deserialize(entry.recordClass(), sample(entry));

        ProducerRecord<String, byte[]> produced = KafkaCloudEvents.toRecord(SOURCE, event, "id-" + entry.type());
        Optional<CloudEvent<Event>> consumed = KafkaCloudEvents.fromRecord(asConsumed(produced));

        assertThat(produced.topic()).isEqualTo(entry.topic());
        assertThat(produced.key()).isEqualTo(event.key());
        assertThat(header(produced.headers(), KafkaCloudEvents.SPEC_VERSION)).isEqualTo("1.0");
        assertThat(header(produced.headers(), KafkaCloudEvents.TYPE)).isEqualTo(entry.type());
        assertThat(header(produced.headers(), KafkaCloudEvents.SUBJECT)).isEqualTo(produced.key());
        assertThat(consumed).hasValueSatisfying(ce -> {
            assertThat(ce.data()).isEqualTo(event);
            assertThat(ce.type()).isEqualTo(entry.type());
            assertThat(ce.id()).isEqualTo("id-" + entry.type());
            assertThat(ce.source()).isEqualTo(SOURCE);
            assertThat(ce.subject()).isEqualTo(event.key());
        });
    }

    @Test
    void submittedJobGoesToJobCommandsKeyedByJobIdWithEveryCloudEventsHeader() {
        JobSubmitted submitted = new JobSubmitted(4, Instant.parse("2026-11-22T01:30:00Z"),
                new Owner("some_user", 1001, 1001),
                new JobSpec("hello_world", "cpu", null, null, "#!/bin/bash\necho hi\n", "/home/some_user",
                        "hello_world.out", "hello_world.err", Map.of(), Resources.of(1, 1, 1024L), 5));
        Instant before = Instant.now();

        ProducerRecord<String, byte[]> record = KafkaCloudEvents.toRecord(SOURCE, submitted);

        assertThat(record.topic()).isEqualTo(Topics.JOB_COMMANDS);
        assertThat(record.key()).isEqualTo("4");
        assertThat(record.partition()).as("partition chosen by key, not pinned").isNull();
        Headers h = record.headers();
        assertThat(header(h, "ce_specversion")).isEqualTo("1.0");
        assertThat(header(h, "ce_id")).isNotBlank();
        assertThat(header(h, "ce_type")).isEqualTo("sluice.job.submitted.v1");
        assertThat(header(h, "ce_source")).isEqualTo(SOURCE);
        assertThat(header(h, "ce_subject")).isEqualTo("4");
        assertThat(header(h, "content-type")).isEqualTo("application/json");
        assertThat(Instant.parse(header(h, "ce_time"))).isAfterOrEqualTo(before.minusSeconds(1));
        assertThat(new String(record.value(), StandardCharsets.UTF_8))
                .contains("\"jobId\":4", "\"partition\":\"cpu\"")
                .as("nulls are left out, never written").doesNotContain("null");
    }

    @Test
    void nodeCommandsAreKeyedByNodeAndIdentityEventsByKindAndName() {
        var signal = new SignalRequested("gpu-node01", 7, Instant.parse("2026-11-22T01:30:00Z"), "CANCELLED", 30);
        var user = new dev.sluice.contracts.identity.UserRemoved("gildong", Instant.parse("2026-11-22T01:30:00Z"));

        assertThat(KafkaCloudEvents.toRecord(SOURCE, signal).key()).isEqualTo("gpu-node01");
        assertThat(KafkaCloudEvents.toRecord(SOURCE, signal).topic()).isEqualTo(Topics.NODE_COMMANDS);
        assertThat(KafkaCloudEvents.toRecord(SOURCE, user).key()).isEqualTo("user:gildong");
        assertThat(KafkaCloudEvents.toRecord(SOURCE, user).topic()).isEqualTo(Topics.IDENTITY_EVENTS);
    }

    @Test
    void eventIdsAreRandomUnlessTheProducerGivesADeterministicOne() {
        JobStateChanged changed = new JobStateChanged(4, 2, JobState.PENDING, JobState.RUNNING, "None", null,
                Instant.parse("2026-11-22T01:30:01Z"), null, null, "node01");

        String first = header(KafkaCloudEvents.toRecord(SOURCE, changed).headers(), "ce_id");
        String second = header(KafkaCloudEvents.toRecord(SOURCE, changed).headers(), "ce_id");
        String fixed = header(KafkaCloudEvents.toRecord(SOURCE, changed, "job-4-v2").headers(), "ce_id");

        assertThat(first).isNotEqualTo(second);
        assertThat(fixed).isEqualTo("job-4-v2");
    }

    @Test
    void unknownOrMissingTypeAndTombstonesAreSkippedNotFailed() {
        Headers unknown = new RecordHeaders();
        unknown.add("ce_type", "sluice.job.teleported.v1".getBytes(StandardCharsets.UTF_8));
        Headers newerVersion = new RecordHeaders();
        newerVersion.add("ce_type", "sluice.job.submitted.v2".getBytes(StandardCharsets.UTF_8));
        Headers known = new RecordHeaders();
        known.add("ce_type", "sluice.job.submitted.v1".getBytes(StandardCharsets.UTF_8));
        byte[] value = "{\"jobId\":4}".getBytes(StandardCharsets.UTF_8);

        assertThat(KafkaCloudEvents.fromRecord(consumed(Topics.JOB_COMMANDS, "4", value, unknown))).isEmpty();
        assertThat(KafkaCloudEvents.fromRecord(consumed(Topics.JOB_COMMANDS, "4", value, newerVersion))).isEmpty();
        assertThat(KafkaCloudEvents.fromRecord(consumed(Topics.JOB_COMMANDS, "4", value, new RecordHeaders())))
                .isEmpty();
        assertThat(KafkaCloudEvents.fromRecord(consumed(Topics.JOB_COMMANDS, "4", null, known))).isEmpty();
    }

    @Test
    void fieldsAddedByANewerProducerAreIgnoredByThisConsumer() {
        Headers h = new RecordHeaders();
        h.add("ce_type", "sluice.job.cancel-requested.v1".getBytes(StandardCharsets.UTF_8));
        byte[] value = """
                {"jobId":4,"requestedBy":"some_user","time":"2026-11-22T01:30:07Z","comment":"added later"}"""
                .getBytes(StandardCharsets.UTF_8);

        Optional<CloudEvent<Event>> event = KafkaCloudEvents.fromRecord(consumed(Topics.JOB_COMMANDS, "4", value, h));

        assertThat(event).map(CloudEvent::data).hasValue(new dev.sluice.contracts.job.JobCancelRequested(4,
                "some_user", Instant.parse("2026-11-22T01:30:07Z")));
    }

    @Test
    void malformedPayloadOfAKnownTypeIsAnErrorNamingTheRecord() {
        assertThatThrownBy(() -> KafkaCloudEvents.deserialize(JobSubmitted.class,
                "{\"jobId\":\"four\"}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Malformed JobSubmitted payload");
    }

    static byte[] sample(EventCatalog.Entry entry) throws IOException {
        try (InputStream in = KafkaCloudEventsTest.class.getClassLoader().getResourceAsStream(entry.sampleResource())) {
            assertThat(in).as("sample %s on the classpath", entry.sampleResource()).isNotNull();
            return in.readAllBytes();
        }
    }

    private static ConsumerRecord<String, byte[]> asConsumed(ProducerRecord<String, byte[]> p) {
        return consumed(p.topic(), p.key(), p.value(), p.headers());
    }

    private static ConsumerRecord<String, byte[]> consumed(String topic, String key, byte[] value, Headers headers) {
        return new ConsumerRecord<>(topic, 0, 0L, 0L, TimestampType.CREATE_TIME, -1, -1, key, value, headers,
                Optional.empty());
    }

    private static String header(Headers headers, String name) {
        return KafkaCloudEvents.header(headers, name);
    }
}
