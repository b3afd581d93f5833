package dev.sluice.infra.kafka;

import dev.sluice.contracts.Topics;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.contracts.kafka.NodeEventSignature;
import dev.sluice.contracts.node.NodeHeartbeat;
import dev.sluice.infra.KafkaBroker;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The production ACL table on a real secure broker, seen through real clients: each principal can do what
 * docs/security.md says and is refused the rest with Kafka's own authorization errors.
 */
class SecureKafkaTest {
    static Path dir;
    static KafkaBroker broker;
    static final Map<String, String> PASSWORDS = new HashMap<>();

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("sluice-secure-kafka");
        broker = KafkaBroker.startSecure(dir.resolve("kafka"), 0, UUID.randomUUID().toString().replace("-", ""));
        for (String p : List.of(KafkaAccess.SCHEDULER, KafkaAccess.SUBMIT, KafkaAccess.ACCOUNTING,
                KafkaAccess.IDENTITY, KafkaAccess.nodePrincipal("node01"), KafkaAccess.nodePrincipal("node02"))) {
            PASSWORDS.put(p, UUID.randomUUID().toString());
        }
        try (var admin = broker.admin()) {
            KafkaAccess.apply(admin, PASSWORDS, List.of("node01", "node02"));
        }
        PASSWORDS.forEach((principal, password) -> awaitLogin(principal, password));
    }

    /** SCRAM users reach the broker through the metadata log, a moment after the controller stored them. */
    static void awaitLogin(String principal, String password) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (var admin = org.apache.kafka.clients.admin.Admin.create(
                    KafkaSettings.admin(broker.bootstrapServers(), SecureBroker.client(principal, password)))) {
                admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS);
                return;
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(principal + " cannot log in: " + e, e);
                }
                sleep(200);
            }
        }
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception ignored) {
            // a leftover temp folder is harmless
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Map<String, Object> as(String principal) {
        return SecureBroker.client(principal, PASSWORDS.get(principal));
    }

    /** Writes one record as {@code principal}; returns normally when the broker acknowledged it. */
    static void write(String principal, String topic, String key) throws Exception {
        Map<String, Object> cfg = KafkaSettings.producer(broker.bootstrapServers(), "test-" + principal, as(principal));
        cfg.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 20_000);
        try (var producer = new KafkaProducer<String, byte[]>(cfg)) {
            producer.send(new ProducerRecord<>(topic, key, "x".getBytes())).get(30, TimeUnit.SECONDS);
        }
    }

    static Throwable writeFailure(String principal, String topic) {
        try {
            write(principal, topic, "k");
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            return e;
        }
    }

    @Test
    void onlyTheSchedulerWritesNodeCommands() throws Exception {
        write(KafkaAccess.SCHEDULER, Topics.NODE_COMMANDS, "node01");

        assertThat(writeFailure(KafkaAccess.nodePrincipal("node01"), Topics.NODE_COMMANDS))
                .isInstanceOf(TopicAuthorizationException.class)
                .hasMessageContaining(Topics.NODE_COMMANDS);
        assertThat(writeFailure(KafkaAccess.SUBMIT, Topics.NODE_COMMANDS))
                .isInstanceOf(TopicAuthorizationException.class);
    }

    @Test
    void submitWritesJobCommandsButNotJobEvents() throws Exception {
        write(KafkaAccess.SUBMIT, Topics.JOB_COMMANDS, "1");

        assertThat(writeFailure(KafkaAccess.SUBMIT, Topics.JOB_EVENTS))
                .isInstanceOf(TopicAuthorizationException.class)
                .hasMessageContaining(Topics.JOB_EVENTS);
        assertThat(writeFailure(KafkaAccess.nodePrincipal("node02"), Topics.JOB_EVENTS))
                .isInstanceOf(TopicAuthorizationException.class);
    }

    @Test
    void nodeAgentsWriteNodeAndStepEventsOnly() throws Exception {
        write(KafkaAccess.nodePrincipal("node01"), Topics.NODE_EVENTS, "node01");
        write(KafkaAccess.nodePrincipal("node01"), Topics.STEP_EVENTS, "7");

        assertThat(writeFailure(KafkaAccess.nodePrincipal("node01"), Topics.SCHEDULER_STATE))
                .isInstanceOf(TopicAuthorizationException.class);
        assertThat(writeFailure(KafkaAccess.nodePrincipal("node01"), Topics.ACCOUNTING_EVENTS))
                .isInstanceOf(TopicAuthorizationException.class);
    }

    @Test
    void accountingAndIdentityWriteTheirOwnTopics() throws Exception {
        write(KafkaAccess.ACCOUNTING, Topics.JOBCOMP, "1");
        write(KafkaAccess.ACCOUNTING, Topics.ACCOUNTING_EVENTS, "qos:normal");

        assertThat(writeFailure(KafkaAccess.IDENTITY, Topics.ACCOUNTING_EVENTS))
                .isInstanceOf(TopicAuthorizationException.class);
        assertThat(writeFailure(KafkaAccess.ACCOUNTING, Topics.IDENTITY_EVENTS))
                .isInstanceOf(TopicAuthorizationException.class);
    }

    @Test
    void onlyTheSchedulerUsesItsTransactionalId() throws Exception {
        Map<String, Object> ok = KafkaSettings.transactionalProducer(broker.bootstrapServers(), "sluice-scheduler",
                as(KafkaAccess.SCHEDULER));
        try (var producer = new KafkaProducer<String, byte[]>(ok)) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(Topics.SCHEDULER_STATE, "node:node01", "x".getBytes()));
            producer.commitTransaction();
        }

        Map<String, Object> stolen = KafkaSettings.transactionalProducer(broker.bootstrapServers(), "sluice-scheduler",
                as(KafkaAccess.nodePrincipal("node01")));
        stolen.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 20_000);
        try (var producer = new KafkaProducer<String, byte[]>(stolen)) {
            assertThatThrownBy(producer::initTransactions).isInstanceOf(TransactionalIdAuthorizationException.class);
        }
    }

    @Test
    void aNodeAgentReadsCommandsInItsOwnGroupOnly() throws Exception {
        write(KafkaAccess.SCHEDULER, Topics.NODE_COMMANDS, "node02");
        String node = KafkaAccess.nodePrincipal("node02");

        assertThat(readOne(node, "sluice-node-node02", Topics.NODE_COMMANDS)).isTrue();
        assertThatThrownBy(() -> readOne(node, "sluice-node-node01", Topics.NODE_COMMANDS))
                .isInstanceOf(GroupAuthorizationException.class);
        assertThatThrownBy(() -> readOne(node, "sluice-node-node02", Topics.JOB_COMMANDS))
                .isInstanceOf(TopicAuthorizationException.class);

        // the agents' peer directory reads other agents' registrations, without a group
        write(KafkaAccess.nodePrincipal("node01"), Topics.NODE_EVENTS, "node01");
        Map<String, Object> cfg = KafkaSettings.consumer(broker.bootstrapServers(), null, "peers", as(node));
        try (var consumer = new KafkaConsumer<String, byte[]>(cfg)) {
            var parts = consumer.partitionsFor(Topics.NODE_EVENTS, Duration.ofSeconds(30)).stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            boolean seen = false;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!seen && System.nanoTime() < deadline) {
                seen = !consumer.poll(Duration.ofMillis(500)).isEmpty();
            }
            assertThat(seen).isTrue();
        }
    }

    /** Subscribes as {@code principal} in {@code group} and polls until one record arrives; commits it. */
    static boolean readOne(String principal, String group, String topic) {
        Map<String, Object> cfg = KafkaSettings.consumer(broker.bootstrapServers(), group, "test-" + principal,
                as(principal));
        try (var consumer = new KafkaConsumer<String, byte[]>(cfg)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                if (!consumer.poll(Duration.ofMillis(500)).isEmpty()) {
                    consumer.commitSync();
                    return true;
                }
            }
            return false;
        }
    }

    @Test
    void theSchedulerAcceptsNodeEventsOnlyFromTheNodeTheyAreAbout() throws Exception {
        String masterHex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        byte[] master;
        byte[] node01Key;
        try {
            // as the scheduler and node01's agent read them; the agent's key is derived, as the provisioning does
            System.setProperty(NodeEventSignature.MASTER_KEY_CONFIG, masterHex);
            System.setProperty(NodeEventSignature.NODE_KEY_CONFIG,
                    java.util.HexFormat.of().formatHex(NodeEventSignature.nodeKey(NodeEventSignature.key(masterHex), "node01")));
            master = NodeEventSignature.configuredMasterKey().orElseThrow();
            node01Key = NodeEventSignature.configuredNodeKey().orElseThrow();
        } finally {
            System.clearProperty(NodeEventSignature.MASTER_KEY_CONFIG);
            System.clearProperty(NodeEventSignature.NODE_KEY_CONFIG);
        }
        assertThat(NodeEventSignature.configuredMasterKey()).as("unset: an open stack checks nothing").isEmpty();
        String node01 = KafkaAccess.nodePrincipal("node01");
        String run = UUID.randomUUID().toString();
        Map<String, Object> cfg = KafkaSettings.producer(broker.bootstrapServers(), "agent-node01", as(node01));
        try (var producer = new KafkaProducer<String, byte[]>(cfg)) {
            // node01's own heartbeat, signed with its key
            producer.send(NodeEventSignature.sign(KafkaCloudEvents.toRecord("sluice/node-agent/node01",
                    heartbeat("node01"), run + "-own"), "node01", node01Key)).get(30, TimeUnit.SECONDS);
            // node01 passing itself off as node02: its key cannot sign for node02, and signing as itself names the wrong node
            producer.send(NodeEventSignature.sign(KafkaCloudEvents.toRecord("sluice/node-agent/node02",
                    heartbeat("node02"), run + "-as-node02"), "node02", node01Key)).get(30, TimeUnit.SECONDS);
            producer.send(NodeEventSignature.sign(KafkaCloudEvents.toRecord("sluice/node-agent/node02",
                    heartbeat("node02"), run + "-about-node02"), "node01", node01Key)).get(30, TimeUnit.SECONDS);
            // an unsigned one, and a signed one changed after signing
            producer.send(KafkaCloudEvents.toRecord("sluice/node-agent/node01", heartbeat("node01"),
                    run + "-unsigned")).get(30, TimeUnit.SECONDS);
            var tampered = NodeEventSignature.sign(KafkaCloudEvents.toRecord("sluice/node-agent/node01",
                    heartbeat("node01"), run + "-tampered"), "node01", node01Key);
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(tampered.topic(), null,
                    tampered.key(), new String(tampered.value()).replace("\"load1\"", "\"load1\" ").getBytes(),
                    tampered.headers())).get(30, TimeUnit.SECONDS);
        }

        Map<String, String> verdicts = new java.util.TreeMap<>();
        Map<String, Object> c = KafkaSettings.consumer(broker.bootstrapServers(), "sluice-scheduler-test-" + run,
                "scheduler", as(KafkaAccess.SCHEDULER));
        try (var consumer = new KafkaConsumer<String, byte[]>(c)) {
            consumer.subscribe(List.of(Topics.NODE_EVENTS));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (verdicts.size() < 5 && System.nanoTime() < deadline) {
                for (var r : consumer.poll(Duration.ofMillis(500))) {
                    String id = KafkaCloudEvents.header(r.headers(), KafkaCloudEvents.ID);
                    if (id != null && id.startsWith(run)) {
                        verdicts.put(id.substring(run.length() + 1), switch (NodeEventSignature.verify(r, master)) {
                            case NodeEventSignature.Authentic a -> "accepted from " + a.node();
                            case NodeEventSignature.Rejected x -> "rejected: " + x.reason();
                        });
                    }
                }
            }
        }
        assertThat(verdicts).containsOnlyKeys("own", "as-node02", "about-node02", "unsigned", "tampered");
        assertThat(verdicts.get("own")).isEqualTo("accepted from node01");
        assertThat(verdicts.get("as-node02")).startsWith("rejected: signature does not match node node02's key");
        assertThat(verdicts.get("about-node02")).isEqualTo("rejected: node node01 signed an event about node node02");
        assertThat(verdicts.get("unsigned")).startsWith("rejected: unsigned event on sluice.node.events");
        assertThat(verdicts.get("tampered")).startsWith("rejected: signature does not match node node01's key");
    }

    static NodeHeartbeat heartbeat(String node) {
        return new NodeHeartbeat(node, "boot-1", java.time.Instant.parse("2026-11-22T04:00:00Z"), List.of(), 0.5);
    }

    @Test
    void theClientsAServiceBuildsLogInWithTheConfiguredCredentials() throws Exception {
        // a service never passes security itself: KafkaSettings' plain overloads read it from configuration
        Map<String, String> props = Map.of(KafkaSettings.PROTOCOL, "SASL_PLAINTEXT",
                KafkaSettings.USERNAME, KafkaAccess.SUBMIT, KafkaSettings.PASSWORD, PASSWORDS.get(KafkaAccess.SUBMIT));
        Map<String, Object> cfg;
        try {
            props.forEach(System::setProperty);
            cfg = KafkaSettings.producer(broker.bootstrapServers(), "sluice-submit");
        } finally {
            props.keySet().forEach(System::clearProperty);
        }
        cfg.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 20_000);
        try (var producer = new KafkaProducer<String, byte[]>(cfg)) {
            producer.send(new ProducerRecord<>(Topics.JOB_COMMANDS, "42", "x".getBytes())).get(30, TimeUnit.SECONDS);
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(Topics.JOB_EVENTS, "42", "x".getBytes()))
                    .get(30, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
        }
        assertThat(KafkaSettings.producer(broker.bootstrapServers(), "sluice-submit"))
                .as("nothing configured: plaintext, as before").doesNotContainKey("security.protocol");
    }

    @Test
    void unauthenticatedAndWrongPasswordClientsAreRefused() {
        Map<String, Object> plaintext = KafkaSettings.producer(broker.bootstrapServers(), "anonymous", Map.of());
        plaintext.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        try (var producer = new KafkaProducer<String, byte[]>(plaintext)) {
            // a plaintext client cannot even fetch metadata from a SASL listener
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(Topics.JOB_COMMANDS, "1", "x".getBytes()))
                    .get(30, TimeUnit.SECONDS))
                    .isInstanceOfAny(KafkaException.class, ExecutionException.class)
                    .hasMessageContaining("not present in metadata");
        }

        Map<String, Object> wrong = KafkaSettings.producer(broker.bootstrapServers(), "intruder",
                SecureBroker.client(KafkaAccess.SCHEDULER, "not-the-password"));
        wrong.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 20_000);
        List<Throwable> seen = new ArrayList<>();
        try (var producer = new KafkaProducer<String, byte[]>(wrong)) {
            producer.send(new ProducerRecord<>(Topics.JOB_EVENTS, "1", "x".getBytes())).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            seen.add(e instanceof ExecutionException ? e.getCause() : e);
        }
        assertThat(seen).singleElement().isInstanceOf(SaslAuthenticationException.class);
    }

    @Test
    void credentialsFromConfigurationAuthenticateEvenWithQuotesInThePassword() throws Exception {
        String password = "pa\"ss\\word 1";
        try (var admin = broker.admin()) {
            KafkaAccess.apply(admin, Map.of("quoted", password), List.of());
        }
        awaitLogin("quoted", password);
        Map<String, String> config = Map.of(
                KafkaSettings.USERNAME, "quoted",
                KafkaSettings.PASSWORD, password);
        Map<String, Object> security = KafkaSettings.security(k -> java.util.Optional.ofNullable(config.get(k)));
        assertThat(security).containsEntry("security.protocol", "SASL_PLAINTEXT")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512");

        Map<String, Object> cfg = KafkaSettings.producer(broker.bootstrapServers(), "quoted", security);
        cfg.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 20_000);
        try (var producer = new KafkaProducer<String, byte[]>(cfg)) {
            // authenticated (no SaslAuthenticationException), and refused because no ACL names this user
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(Topics.JOB_COMMANDS, "1", "x".getBytes()))
                    .get(30, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
        }
        assertThat(KafkaSettings.security(k -> java.util.Optional.empty())).isEmpty();
    }
}
