package dev.sluice.scheduler.loop;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.contracts.kafka.NodeEventSignature;
import dev.sluice.contracts.node.NodeDrainRequested;
import dev.sluice.contracts.node.NodeHeartbeat;
import dev.sluice.contracts.node.NodeRegistered;
import dev.sluice.infra.KafkaBroker;
import dev.sluice.scheduler.core.ClusterView;
import dev.sluice.scheduler.core.config.ClusterConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With a master key configured, the scheduler applies node events signed by the node they are about, and skips
 * forged and unsigned ones (their offsets are committed, scheduling goes on). Also: an agent's NodeDrainRequested
 * drains the node with its reason.
 */
class SignedNodeEventsTest {
    private static final String MASTER_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    @TempDir
    Path dir;

    @AfterEach
    void unset() {
        System.clearProperty(NodeEventSignature.MASTER_KEY_CONFIG);
    }

    @Test
    void signedNodeEventsAreAppliedAndForgedOrUnsignedOnesSkipped() throws Exception {
        System.setProperty(NodeEventSignature.MASTER_KEY_CONFIG, MASTER_HEX);
        byte[] master = HexFormat.of().parseHex(MASTER_HEX);
        byte[] n1Key = NodeEventSignature.nodeKey(master, "n1");
        byte[] n2Key = NodeEventSignature.nodeKey(master, "n2");
        ClusterConfig config = ClusterConfig.parse("SlurmdTimeout=3600\nPartitionName=cpu Nodes=ALL Default=YES");
        AtomicReference<ClusterView> view = new AtomicReference<>(ClusterView.EMPTY);
        try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"), 0);
             SchedulerLoop loop = new SchedulerLoop(SchedulerLoop.Settings.defaults(broker.bootstrapServers()), config,
                     Clock.systemUTC(), view::set).start();
             KafkaProducer<String, byte[]> p = new KafkaProducer<>(KafkaSettings.producer(broker.bootstrapServers(),
                     "test-agent"))) {
            p.send(signed(new NodeRegistered("n1", "b1", Instant.now(), "n1", "127.0.0.1:0", 4, 1, 4, 1,
                    List.of(0, 1, 2, 3), 4096, List.of(), List.of(), List.of()), "n1", n1Key)).get();
            await(view, "n1 registered", v -> node(v, "n1").isPresent());

            // all keyed n1, so they reach the scheduler in this order: the heartbeat shows the two before it were seen
            Instant before = node(view.get(), "n1").orElseThrow().lastHeartbeat();
            p.send(signed(new NodeDrainRequested("n1", "forged by n2", Instant.now()), "n1", n2Key)).get();
            p.send(signed(new NodeDrainRequested("n1", "claimed by n2", Instant.now()), "n2", n2Key)).get();
            p.send(KafkaCloudEvents.toRecord("sluice/test", new NodeDrainRequested("n1", "unsigned", Instant.now())))
                    .get();
            Thread.sleep(5); // the heartbeat's clock reading must differ from the registration's
            p.send(signed(new NodeHeartbeat("n1", "b1", Instant.now(), List.of(), 0.0), "n1", n1Key)).get();
            await(view, "n1's heartbeat applied", v -> node(v, "n1").map(n -> n.lastHeartbeat() != null
                    && (before == null || n.lastHeartbeat().isAfter(before))).orElse(false));
            assertThat(node(view.get(), "n1").orElseThrow().reason()).isNull();
            assertThat(node(view.get(), "n1").orElseThrow().state().isDrain()).isFalse();

            p.send(signed(new NodeDrainRequested("n1", "Kill task failed", Instant.now()), "n1", n1Key)).get();
            await(view, "n1 drained by its own agent", v -> node(v, "n1")
                    .map(n -> n.state().isDrain() && "Kill task failed".equals(n.reason())).orElse(false));
            assertThat(loop.ready()).isTrue();
        }
    }

    private static ProducerRecord<String, byte[]> signed(Event e, String as, byte[] key) {
        return NodeEventSignature.sign(KafkaCloudEvents.toRecord("sluice/node-agent/" + as, e), as, key);
    }

    private static Optional<ClusterView.NodeView> node(ClusterView v, String name) {
        return v.nodes().stream().filter(n -> n.name().equals(name)).findFirst();
    }

    private static void await(AtomicReference<ClusterView> view, String what, Predicate<ClusterView> ok)
            throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!ok.test(view.get())) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not seen within 60 s: " + what + "; view " + view.get().nodes());
            }
            Thread.sleep(50);
        }
    }
}
