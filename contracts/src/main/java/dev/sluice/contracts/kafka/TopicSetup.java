package dev.sluice.contracts.kafka;

import dev.sluice.contracts.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Creates Sluice's topics if they are missing. Every service calls it at start, so the order in which services
 * come up does not matter. Partition counts let job and node streams scale out by key.
 */
public final class TopicSetup {
    public static final int PARTITIONS = 6;

    private TopicSetup() {
    }

    public static void ensureTopics(String bootstrapServers, short replicationFactor) {
        try (Admin admin = Admin.create(KafkaSettings.admin(bootstrapServers))) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (String topic : Topics.ALL) {
                if (existing.contains(topic)) {
                    continue;
                }
                NewTopic t = new NewTopic(topic, PARTITIONS, replicationFactor);
                if (topic.equals(Topics.SCHEDULER_STATE)) {
                    t = new NewTopic(topic, 1, replicationFactor).configs(Map.of("cleanup.policy", "compact"));
                }
                missing.add(t);
            }
            if (missing.isEmpty()) {
                return;
            }
            for (var f : admin.createTopics(missing).values().values()) {
                try {
                    f.get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("Cannot create Sluice topics on " + bootstrapServers + ": " + e, e);
        }
    }
}
