package dev.sluice.nodeagent;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.kafka.KafkaSettings;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** Everything published on some topics since the broker started, read in the background, as a user would. */
final class EventLog implements AutoCloseable {
    private final List<Event> events = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean stop;

    EventLog(String bootstrap, String... topics) {
        thread = new Thread(() -> {
            try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(
                    KafkaSettings.consumer(bootstrap, null, "node-agent-test-log"))) {
                List<TopicPartition> parts = new ArrayList<>();
                for (String t : topics) {
                    c.partitionsFor(t, Duration.ofSeconds(30)).forEach(p -> parts.add(new TopicPartition(t, p.partition())));
                }
                c.assign(parts);
                c.seekToBeginning(parts);
                while (!stop) {
                    for (var r : c.poll(Duration.ofMillis(200))) {
                        KafkaCloudEvents.fromRecord(r).ifPresent(ce -> events.add(ce.data()));
                    }
                }
            }
        }, "event-log");
        thread.setDaemon(true);
        thread.start();
    }

    <T extends Event> List<T> all(Class<T> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends Event> T await(Class<T> type, java.util.function.Predicate<T> match, Duration limit) {
        return TestFiles.await(type.getSimpleName(), limit,
                () -> all(type).stream().filter(match).findFirst().map(Optional::of).orElse(Optional.empty()));
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        thread.join(5_000);
    }
}
