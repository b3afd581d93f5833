package dev.sluice.contracts.tests;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.sluice.contracts.EventCatalog;
import dev.sluice.contracts.cloudevents.Json;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checks Sluice events against the contract: payloads against the JSON Schema of their CloudEvents type (from
 * {@code schemas/} in sluice-contracts), Kafka records against the binary-mode header rules. It answers with
 * readable violations rather than throwing, so a suite can record every event of a run and report them all.
 * Thread-safe; create one and share it.
 */
public final class EventValidator {
    /** Where the schemas' {@code $id}s point; mapped onto the classpath so validation never needs a network. */
    public static final String SCHEMA_BASE = "https://sluice.dev/schemas/";

    private static final List<String> REQUIRED_HEADERS = List.of(KafkaCloudEvents.SPEC_VERSION, KafkaCloudEvents.ID,
            KafkaCloudEvents.TYPE, KafkaCloudEvents.SOURCE, KafkaCloudEvents.SUBJECT);

    private final JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012,
            b -> b.schemaMappers(m -> m.mapPrefix(SCHEMA_BASE, "classpath:schemas/")));
    // Draft 2020-12 treats "format" as an annotation only; the contract means date-time and email to be checked.
    // JSON paths ($.spec.partition) read better in a report than JSON pointers, whose root is an empty string.
    private final SchemaValidatorsConfig config = SchemaValidatorsConfig.builder()
            .formatAssertionsEnabled(true)
            .pathType(PathType.JSON_PATH)
            .build();
    private final Map<String, Optional<JsonSchema>> schemas = new ConcurrentHashMap<>();

    /** The violations of one payload of type {@code ceType}; empty when it is valid. */
    public List<String> violations(String ceType, byte[] json) {
        if (ceType == null || EventCatalog.byType(ceType).isEmpty()) {
            return List.of("unknown event type '" + ceType + "': not in EventCatalog");
        }
        Optional<JsonSchema> schema = schema(ceType);
        if (schema.isEmpty()) {
            return List.of(ceType + ": no schema at classpath:" + EventCatalog.byType(ceType).get().schemaResource());
        }
        if (json == null) {
            return List.of(ceType + ": no payload");
        }
        JsonNode payload;
        try {
            payload = Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            return List.of(ceType + ": payload is not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            return List.of(ceType + ": payload is not JSON: " + e.getMessage());
        }
        if (payload == null || payload.isMissingNode()) {
            return List.of(ceType + ": empty payload");
        }
        return schema.get().validate(payload).stream()
                .sorted(Comparator.comparing((ValidationMessage m) -> m.getInstanceLocation().toString())
                        .thenComparing(ValidationMessage::getMessage))
                .map(m -> ceType + ": " + m.getMessage())
                .toList();
    }

    /**
     * The violations of one Kafka record as consumers will read it: the CloudEvents headers are present, the
     * type is catalogued and on its own topic, the key equals {@code ce_subject}, and the value is valid.
     */
    public List<String> violations(ConsumerRecord<String, byte[]> record) {
        List<String> out = new ArrayList<>();
        String where = record.topic() + "-" + record.partition() + "@" + record.offset();
        for (String name : REQUIRED_HEADERS) {
            String value = KafkaCloudEvents.header(record.headers(), name);
            if (value == null || value.isBlank()) {
                out.add(where + ": header " + name + " is missing");
            }
        }
        String specVersion = KafkaCloudEvents.header(record.headers(), KafkaCloudEvents.SPEC_VERSION);
        if (specVersion != null && !specVersion.equals("1.0")) {
            out.add(where + ": header ce_specversion is '" + specVersion + "', expected '1.0'");
        }
        String subject = KafkaCloudEvents.header(record.headers(), KafkaCloudEvents.SUBJECT);
        if (subject != null && !Objects.equals(record.key(), subject)) {
            out.add(where + ": key '" + record.key() + "' differs from ce_subject '" + subject + "'");
        }
        String type = KafkaCloudEvents.header(record.headers(), KafkaCloudEvents.TYPE);
        if (type == null) {
            return out;
        }
        EventCatalog.byType(type)
                .filter(e -> !e.topic().equals(record.topic()))
                .ifPresent(e -> out.add(where + ": " + type + " belongs on " + e.topic()));
        for (String v : violations(type, record.value())) {
            out.add(where + ": " + v);
        }
        return out;
    }

    /** Throws with every violation listed, for tests that check one event at a time. */
    public void requireValid(ConsumerRecord<String, byte[]> record) {
        List<String> v = violations(record);
        if (!v.isEmpty()) {
            throw new AssertionError("Event breaks the contract:\n  " + String.join("\n  ", v));
        }
    }

    private Optional<JsonSchema> schema(String ceType) {
        return schemas.computeIfAbsent(ceType, t -> {
            if (EventValidator.class.getClassLoader().getResource("schemas/" + t + ".json") == null) {
                return Optional.empty();
            }
            JsonSchema s = factory.getSchema(SchemaLocation.of(SCHEMA_BASE + t + ".json"), config);
            s.initializeValidators();
            return Optional.of(s);
        });
    }
}
