package dev.sluice.contracts.tests;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.contracts.Event;
import dev.sluice.contracts.EventCatalog;
import dev.sluice.contracts.cloudevents.Json;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.NodeAllocation;
import dev.sluice.contracts.job.Owner;
import dev.sluice.contracts.job.Resources;
import dev.sluice.contracts.step.Usage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Every catalogued event type against its schema and sample, from both the producer's and the consumer's side. */
class CatalogContractTest {
    private static final EventValidator VALIDATOR = new EventValidator();

    static Stream<EventCatalog.Entry> catalog() {
        return EventCatalog.all().stream();
    }

    @Test
    void catalogIsNotEmptyAndTypesAreVersionedAndUnique() {
        assertThat(EventCatalog.all()).isNotEmpty();
        assertThat(EventCatalog.all()).extracting(EventCatalog.Entry::type)
                .doesNotHaveDuplicates()
                .allMatch(t -> t.matches("sluice\\.[a-z]+\\.[a-z-]+\\.v[0-9]+"), "sluice.<stream>.<event>.v<n>");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalog")
    void everyTypeHasASchemaAndASample(EventCatalog.Entry entry) throws IOException {
        JsonNode schema = resource(entry.schemaResource());

        assertThat(resource(entry.sampleResource())).isNotNull();
        assertThat(schema.path("$schema").asText()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
        assertThat(schema.path("$id").asText()).isEqualTo(EventValidator.SCHEMA_BASE + entry.type() + ".json");
        assertThat(schema.path("additionalProperties").isBoolean()).isTrue();
        assertThat(schema.path("additionalProperties").asBoolean()).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalog")
    void schemaDescribesExactlyTheRecordsFieldsAndRequiresItsPrimitives(EventCatalog.Entry entry) throws IOException {
        assertDescribes(resource(entry.schemaResource()), entry.recordClass());
    }

    @Test
    void sharedDefinitionsDescribeExactlyTheirRecords() throws IOException {
        JsonNode defs = resource("schemas/common.json").path("$defs");
        Map<String, Class<?>> shared = Map.of("Owner", Owner.class, "JobSpec", JobSpec.class,
                "Resources", Resources.class, "NodeAllocation", NodeAllocation.class, "Usage", Usage.class);

        shared.forEach((name, type) -> assertDescribes(defs.path(name), type));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalog")
    void everySampleValidatesAgainstItsSchema(EventCatalog.Entry entry) throws IOException {
        assertThat(VALIDATOR.violations(entry.type(), bytes(entry.sampleResource()))).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalog")
    void whatConsumersReadFromASampleIsWhatProducersWriteBackAndItValidates(EventCatalog.Entry entry)
            throws IOException {
        byte[] sample = bytes(entry.sampleResource());

        Event consumed = KafkaCloudEvents.deserialize(entry.recordClass(), sample);
        byte[] produced = KafkaCloudEvents.serialize(consumed);

        assertThat(consumed).isInstanceOf(entry.recordClass());
        assertThat(VALIDATOR.violations(entry.type(), produced)).isEmpty();
        assertThat(Json.MAPPER.readTree(produced))
                .as("nothing in the sample is lost or added by the record")
                .isEqualTo(Json.MAPPER.readTree(sample));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalog")
    void aRecordProducedFromEverySampleIsAValidKafkaEvent(EventCatalog.Entry entry) throws IOException {
        Event event = KafkaCloudEvents.deserialize(entry.recordClass(), bytes(entry.sampleResource()));

        var record = Records.consumed(KafkaCloudEvents.toRecord("/sluice/contract-tests", event));

        assertThat(VALIDATOR.violations(record)).isEmpty();
    }

    /** The schema's properties are the record's components; every primitive one is required (it is always written). */
    private static void assertDescribes(JsonNode schema, Class<?> type) {
        assertThat(type.isRecord()).as("%s is a record", type.getName()).isTrue();
        List<String> properties = new ArrayList<>();
        schema.path("properties").fieldNames().forEachRemaining(properties::add);
        List<String> required = new ArrayList<>();
        schema.path("required").forEach(n -> required.add(n.asText()));
        RecordComponent[] components = type.getRecordComponents();

        assertThat(properties).as("%s properties", type.getSimpleName())
                .containsExactlyInAnyOrder(Arrays.stream(components).map(RecordComponent::getName).toArray(String[]::new));
        assertThat(properties).as("%s required fields exist", type.getSimpleName()).containsAll(required);
        assertThat(required).as("%s primitives are always written, so required", type.getSimpleName())
                .containsAll(Arrays.stream(components).filter(c -> c.getType().isPrimitive())
                        .map(RecordComponent::getName).toList());
        assertThat(schema.path("additionalProperties").asBoolean(true))
                .as("%s rejects unknown fields", type.getSimpleName()).isFalse();
    }

    private static JsonNode resource(String name) throws IOException {
        return Json.MAPPER.readTree(bytes(name));
    }

    static byte[] bytes(String name) throws IOException {
        try (InputStream in = CatalogContractTest.class.getClassLoader().getResourceAsStream(name)) {
            assertThat(in).as("%s on the classpath", name).isNotNull();
            return in.readAllBytes();
        }
    }
}
