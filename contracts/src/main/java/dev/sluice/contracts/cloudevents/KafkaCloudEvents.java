package dev.sluice.contracts.cloudevents;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.EventCatalog;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * Maps Sluice events to and from Kafka records in CloudEvents binary mode. The one place that knows the header
 * names, so producers and consumers cannot drift apart.
 */
public final class KafkaCloudEvents {
    public static final String SPEC_VERSION = "ce_specversion";
    public static final String ID = "ce_id";
    public static final String TYPE = "ce_type";
    public static final String SOURCE = "ce_source";
    public static final String SUBJECT = "ce_subject";
    public static final String TIME = "ce_time";
    public static final String CONTENT_TYPE = "content-type";

    private KafkaCloudEvents() {
    }

    /** A record for {@code event} on its catalogued topic, with a random event id. */
    public static ProducerRecord<String, byte[]> toRecord(String source, Event event) {
        return toRecord(source, event, UUID.randomUUID().toString());
    }

    /**
     * A record for {@code event}. Pass a deterministic {@code id} where the same fact may be produced twice (a
     * retry, a restarted producer), so consumers can drop the repeat.
     */
    public static ProducerRecord<String, byte[]> toRecord(String source, Event event, String id) {
        EventCatalog.Entry entry = EventCatalog.of(event);
        Headers headers = new RecordHeaders();
        put(headers, SPEC_VERSION, "1.0");
        put(headers, ID, id);
        put(headers, TYPE, entry.type());
        put(headers, SOURCE, source);
        put(headers, SUBJECT, event.key());
        put(headers, TIME, Instant.now().toString());
        put(headers, CONTENT_TYPE, "application/json");
        return new ProducerRecord<>(entry.topic(), null, event.key(), serialize(event), headers);
    }

    public static byte[] serialize(Event event) {
        try {
            return Json.MAPPER.writeValueAsBytes(event);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads a record back. Empty when the record is not a Sluice event this version knows (an unknown or newer
     * type): consumers skip those rather than fail, so producers can be upgraded first.
     */
    public static Optional<CloudEvent<Event>> fromRecord(ConsumerRecord<String, byte[]> record) {
        String type = header(record.headers(), TYPE);
        if (type == null || record.value() == null) {
            return Optional.empty();
        }
        Optional<EventCatalog.Entry> entry = EventCatalog.byType(type);
        if (entry.isEmpty()) {
            return Optional.empty();
        }
        Event data = deserialize(entry.get().recordClass(), record.value());
        String time = header(record.headers(), TIME);
        return Optional.of(new CloudEvent<>(header(record.headers(), ID), type, header(record.headers(), SOURCE),
                header(record.headers(), SUBJECT), time == null ? null : Instant.parse(time), data));
    }

    public static <T extends Event> T deserialize(Class<T> type, byte[] json) {
        try {
            return Json.MAPPER.readValue(json, type);
        } catch (IOException e) {
            throw new IllegalArgumentException("Malformed " + type.getSimpleName() + " payload: " + e.getMessage(), e);
        }
    }

    public static String header(Headers headers, String name) {
        Header h = headers.lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static void put(Headers headers, String name, String value) {
        headers.add(name, value.getBytes(StandardCharsets.UTF_8));
    }
}
