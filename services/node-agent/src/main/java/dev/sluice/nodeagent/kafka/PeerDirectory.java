package dev.sluice.nodeagent.kafka;

import dev.sluice.contracts.Topics;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.contracts.node.NodeRegistered;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The other agents' HTTP addresses, learnt from {@code NodeRegistered} on {@code sluice.node.events} (every agent
 * announces {@code address = host:port} at each start), read from the beginning without a consumer group. The
 * first node of a step asks the others' agents to start their shares at these addresses.
 */
public final class PeerDirectory implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PeerDirectory.class);
    private final Map<String, String> addresses = new ConcurrentHashMap<>();
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private volatile boolean stopping;

    public PeerDirectory(String bootstrapServers, String clientId) {
        consumer = new KafkaConsumer<>(KafkaSettings.consumer(bootstrapServers, null, clientId));
        thread = new Thread(this::read, "sluice-peer-directory");
        thread.setDaemon(true);
        thread.start();
    }

    public Optional<String> address(String node) {
        return Optional.ofNullable(addresses.get(node));
    }

    /** Waits a little for a node that registered just now (a fresh cluster), then gives up. */
    public Optional<String> await(String node, Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        while (!addresses.containsKey(node) && System.nanoTime() < end) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return address(node);
    }

    public void put(String node, String address) {
        addresses.put(node, address);
    }

    private void read() {
        try {
            List<TopicPartition> parts = consumer.partitionsFor(Topics.NODE_EVENTS, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            while (!stopping) {
                for (var r : consumer.poll(Duration.ofSeconds(1))) {
                    try {
                        KafkaCloudEvents.fromRecord(r).ifPresent(ce -> {
                            if (ce.data() instanceof NodeRegistered n && n.address() != null) {
                                addresses.put(n.node(), n.address());
                            }
                        });
                    } catch (RuntimeException e) {
                        LOG.debugf("Skipping a node event: %s", e.getMessage());
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            if (!stopping) {
                LOG.warn("The directory of node agents stopped reading sluice.node.events", e);
            }
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    @Override
    public void close() {
        stopping = true;
        consumer.wakeup();
    }
}
