package dev.sluice.identity.state;

import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.identity.IdentityEvent;
import dev.sluice.contracts.kafka.KafkaSettings;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;

import java.util.List;

/**
 * Publishes one sync's events in one Kafka transaction: consumers reading committed data see the whole sync or
 * none of it. A fixed transactional id fences an older identity instance that is still running.
 */
public final class EventPublisher implements AutoCloseable {
    public static final String SOURCE = "sluice/identity";
    private final String bootstrapServers;
    private final String transactionalId;
    private KafkaProducer<String, byte[]> producer;

    public EventPublisher(String bootstrapServers, String transactionalId) {
        this.bootstrapServers = bootstrapServers;
        this.transactionalId = transactionalId;
    }

    /**
     * @param runId ids are {@code <runId>/<key>}: unique per sync, and the same if a sync's transaction is retried
     * @throws KafkaException when the transaction could not be committed; then nothing of it is visible
     */
    public synchronized void publish(String runId, List<? extends IdentityEvent> events) {
        KafkaProducer<String, byte[]> p = producer();
        try {
            p.beginTransaction();
            for (IdentityEvent e : events) {
                p.send(KafkaCloudEvents.toRecord(SOURCE, e, runId + "/" + e.key()));
            }
            p.commitTransaction();
        } catch (KafkaException e) {
            try {
                p.abortTransaction();
            } catch (RuntimeException ignored) {
                // a fenced or broken producer cannot abort; closing it drops the transaction all the same
            }
            close();
            throw e;
        }
    }

    /**
     * Registers the transactional id now (fencing an older instance, and on a fresh broker creating Kafka's
     * transaction log), so the first sync does not pay for it.
     */
    public synchronized void prepare() {
        producer();
    }

    private KafkaProducer<String, byte[]> producer() {
        if (producer == null) {
            KafkaProducer<String, byte[]> p = new KafkaProducer<>(
                    KafkaSettings.transactionalProducer(bootstrapServers, transactionalId));
            try {
                p.initTransactions();
            } catch (RuntimeException e) {
                p.close(java.time.Duration.ZERO);
                throw e;
            }
            producer = p;
        }
        return producer;
    }

    @Override
    public synchronized void close() {
        if (producer != null) {
            producer.close(java.time.Duration.ofSeconds(5));
            producer = null;
        }
    }
}
