package dev.sluice.nodeagent.kafka;

import org.apache.kafka.common.utils.Utils;

import java.nio.charset.StandardCharsets;

/**
 * The partition of {@code sluice.node.commands} that holds one node's commands: what Kafka's default partitioner
 * computes for the node-name key, so the agent reads that partition alone instead of the whole topic.
 */
public final class CommandPartition {
    private CommandPartition() {
    }

    public static int of(String key, int partitionCount) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitionCount;
    }
}
