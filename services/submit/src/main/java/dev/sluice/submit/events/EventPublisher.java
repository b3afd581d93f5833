package dev.sluice.submit.events;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.submit.web.ApiException;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/**
 * Publishes job commands and returns only once the broker has acknowledged them (acks=all, idempotent), so what a
 * user is told succeeded is on Kafka. Blocks the calling thread: call it from a worker, never the event loop.
 */
@ApplicationScoped
public class EventPublisher {
    public static final String SOURCE = "sluice/submit";
    private static final Logger LOG = Logger.getLogger(EventPublisher.class);

    private final String bootstrapServers;
    private KafkaProducer<String, byte[]> producer;

    public EventPublisher(@ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
    }

    /**
     * Sends and waits for the acknowledgement. The wait is bounded by the producer's delivery timeout, after which
     * the record is definitely not written, so a failure here means nothing happened.
     *
     * @throws ApiException 503 when Kafka cannot be reached or refuses the record
     */
    public void publish(Event event, String eventId) {
        KafkaProducer<String, byte[]> p = producer();
        try {
            p.send(KafkaCloudEvents.toRecord(SOURCE, event, eventId)).get();
        } catch (ExecutionException e) {
            throw unavailable(e.getCause() == null ? e : e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable(e);
        } catch (RuntimeException e) {
            throw unavailable(e);
        }
    }

    private ApiException unavailable(Throwable cause) {
        LOG.warnf("Publishing to Kafka at %s failed: %s", bootstrapServers, cause.toString());
        return new ApiException(503, "Unable to contact the Sluice controller: " + cause.getMessage());
    }

    private synchronized KafkaProducer<String, byte[]> producer() {
        if (producer == null) {
            Map<String, Object> cfg = KafkaSettings.producer(bootstrapServers, "sluice-submit");
            // Without this a send to an unreachable broker waits a minute for metadata before failing.
            cfg.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
            producer = new KafkaProducer<>(cfg);
        }
        return producer;
    }

    @PreDestroy
    synchronized void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
            producer = null;
        }
    }
}
