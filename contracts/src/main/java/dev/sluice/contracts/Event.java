package dev.sluice.contracts;

/**
 * Every event Sluice puts on Kafka. Each stream has its own sealed sub-interface, so a consumer's switch over a
 * stream is checked for completeness by the compiler.
 */
public interface Event {
    /** The Kafka record key, which orders the stream: job id for job streams, node name for node streams. */
    String key();
}
