package dev.sluice.contracts.tests;

import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.contracts.Topics;
import dev.sluice.contracts.cloudevents.Json;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.job.JobCancelRequested;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A payload or record that breaks the contract is reported, with a message that names what is wrong. */
class EventValidatorTest {
    private static final EventValidator VALIDATOR = new EventValidator();
    private static final String SUBMITTED = "sluice.job.submitted.v1";
    private static final String STATE_CHANGED = "sluice.job.state-changed.v1";

    @Test
    void missingRequiredFieldIsNamed() throws IOException {
        assertThat(violations(SUBMITTED, p -> p.remove("jobId")))
                .singleElement().asString().contains("jobId").contains("required");
    }

    @Test
    void missingRequiredNestedFieldIsNamedWithItsPath() throws IOException {
        assertThat(violations(SUBMITTED, p -> ((ObjectNode) p.path("spec")).remove("partition")))
                .singleElement().asString().contains("spec").contains("partition");
    }

    @Test
    void wrongEnumValueIsNamed() throws IOException {
        assertThat(violations(STATE_CHANGED, p -> p.put("state", "RUNING")))
                .singleElement().asString().contains("state").contains("enumeration");
    }

    @Test
    void stepCannotEndInAStateThatIsNotAnEnd() throws IOException {
        assertThat(violations("sluice.step.finished.v1", p -> p.put("state", "PENDING")))
                .singleElement().asString().contains("state");
    }

    @Test
    void explicitNullIsReportedBecauseProducersLeaveOptionalFieldsOut() throws IOException {
        assertThat(violations(STATE_CHANGED, p -> p.set("previous", NullNode.getInstance())))
                .isNotEmpty().allMatch(v -> v.contains("previous")).anyMatch(v -> v.contains("null"));
    }

    @Test
    void fieldUnknownToTheContractIsNamed() throws IOException {
        assertThat(violations(STATE_CHANGED, p -> p.put("colour", "blue")))
                .singleElement().asString().contains("colour");
    }

    @Test
    void timeThatIsNotAnInstantIsNamed() throws IOException {
        assertThat(violations(STATE_CHANGED, p -> p.put("time", "yesterday")))
                .singleElement().asString().contains("time").contains("date-time");
    }

    @Test
    void numbersOutOfRangeAreNamed() throws IOException {
        assertThat(violations(STATE_CHANGED, p -> p.put("jobId", 0))).singleElement().asString().contains("jobId");
        assertThat(violations(STATE_CHANGED, p -> p.put("exitCode", 256))).singleElement().asString()
                .contains("exitCode");
        assertThat(violations(STATE_CHANGED, p -> p.put("version", "2"))).singleElement().asString()
                .contains("version").contains("integer");
    }

    @Test
    void slurmRulesOnTheJobSpecAreChecked() throws IOException {
        assertThat(violations(SUBMITTED, p -> ((ObjectNode) p.path("spec")).put("script", "echo hi\n")))
                .singleElement().asString().contains("script");
        assertThat(violations(SUBMITTED, p -> ((ObjectNode) p.path("spec").path("resources"))
                .put("memPerCpuMb", 512)))
                .as("--mem and --mem-per-cpu are mutually exclusive")
                .singleElement().asString().contains("resources");
    }

    @Test
    void everyViolationIsReportedNotOnlyTheFirst() throws IOException {
        assertThat(violations(STATE_CHANGED, p -> {
            p.remove("reason");
            p.put("state", "DONE");
        })).hasSize(2).anyMatch(v -> v.contains("reason")).anyMatch(v -> v.contains("state"));
    }

    @Test
    void unknownTypeAndNonJsonPayloadsAreViolationsNotExceptions() {
        assertThat(VALIDATOR.violations("sluice.job.teleported.v1", "{}".getBytes(StandardCharsets.UTF_8)))
                .singleElement().asString().contains("sluice.job.teleported.v1").contains("unknown");
        assertThat(VALIDATOR.violations(SUBMITTED, "{\"jobId\":".getBytes(StandardCharsets.UTF_8)))
                .singleElement().asString().contains("not JSON");
        assertThat(VALIDATOR.violations(SUBMITTED, null)).singleElement().asString().contains("no payload");
    }

    @Test
    void aRecordAsProducersWriteItIsValid() {
        ConsumerRecord<String, byte[]> record = Records.consumed(KafkaCloudEvents.toRecord("/sluice/submit", cancel()));

        assertThat(VALIDATOR.violations(record)).isEmpty();
        VALIDATOR.requireValid(record);
    }

    @Test
    void recordWithoutCloudEventsHeadersIsReportedHeaderByHeader() {
        ProducerRecord<String, byte[]> p = KafkaCloudEvents.toRecord("/sluice/submit", cancel());
        Headers onlyType = new RecordHeaders();
        onlyType.add(KafkaCloudEvents.TYPE, p.headers().lastHeader(KafkaCloudEvents.TYPE).value());

        List<String> v = VALIDATOR.violations(Records.consumed(p.topic(), p.key(), p.value(), onlyType));

        assertThat(v).hasSize(4).anyMatch(s -> s.contains("ce_specversion")).anyMatch(s -> s.contains("ce_id"))
                .anyMatch(s -> s.contains("ce_source")).anyMatch(s -> s.contains("ce_subject"));
    }

    @Test
    void keyThatDiffersFromSubjectWrongTopicAndBadSpecVersionAreReported() {
        ProducerRecord<String, byte[]> p = KafkaCloudEvents.toRecord("/sluice/submit", cancel());
        Headers h = new RecordHeaders(p.headers().toArray());
        h.remove(KafkaCloudEvents.SPEC_VERSION);
        h.add(KafkaCloudEvents.SPEC_VERSION, "0.3".getBytes(StandardCharsets.UTF_8));

        List<String> v = VALIDATOR.violations(Records.consumed(Topics.JOB_EVENTS, "5", p.value(), h));

        assertThat(v).hasSize(3)
                .anyMatch(s -> s.contains("key '5'") && s.contains("ce_subject '4'"))
                .anyMatch(s -> s.contains("belongs on " + Topics.JOB_COMMANDS))
                .anyMatch(s -> s.contains("ce_specversion") && s.contains("0.3"));
    }

    @Test
    void invalidPayloadInARecordIsReportedWithWhereItWasRead() throws IOException {
        ProducerRecord<String, byte[]> p = KafkaCloudEvents.toRecord("/sluice/submit", cancel());
        ObjectNode payload = (ObjectNode) Json.MAPPER.readTree(p.value());
        payload.remove("requestedBy");

        ConsumerRecord<String, byte[]> record =
                Records.consumed(p.topic(), p.key(), Json.MAPPER.writeValueAsBytes(payload), p.headers());

        assertThat(VALIDATOR.violations(record)).singleElement().asString()
                .startsWith(Topics.JOB_COMMANDS + "-0@0").contains("requestedBy");
        assertThatThrownBy(() -> VALIDATOR.requireValid(record))
                .isInstanceOf(AssertionError.class).hasMessageContaining("requestedBy");
    }

    private static JobCancelRequested cancel() {
        return new JobCancelRequested(4, "some_user", Instant.parse("2026-11-22T01:30:07Z"));
    }

    /** The violations of the type's sample after {@code change}. */
    private static List<String> violations(String type, Consumer<ObjectNode> change) throws IOException {
        ObjectNode payload = (ObjectNode) Json.MAPPER.readTree(CatalogContractTest.bytes("samples/" + type + ".json"));
        assertThat(VALIDATOR.violations(type, Json.MAPPER.writeValueAsBytes(payload))).as("sample is valid").isEmpty();
        change.accept(payload);
        return VALIDATOR.violations(type, Json.MAPPER.writeValueAsBytes(payload));
    }
}
