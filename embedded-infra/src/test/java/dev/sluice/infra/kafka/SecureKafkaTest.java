package dev.sluice.infra.kafka;

import dev.sluice.contracts.Topics;
import dev.sluice.contracts.kafka.KafkaSettings;
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
