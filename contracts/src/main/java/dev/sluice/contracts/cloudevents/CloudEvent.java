package dev.sluice.contracts.cloudevents;

import dev.sluice.contracts.Event;

import java.time.Instant;

/**
 * A CloudEvents 1.0 envelope around one Sluice event. On Kafka it travels in binary mode: the attributes are
 * {@code ce_*} headers and the record value is the JSON of {@code data}.
 */
public record CloudEvent<T extends Event>(String id, String type, String source, String subject, Instant time,
                                          T data) {
}
