package dev.sluice.contracts.kafka;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Client settings every Sluice service shares. Producers are idempotent with acks=all, so a write acknowledged
 * to a user is on every in-sync replica; consumers read committed data only and commit offsets themselves.
 *
 * <p>Security (docs/security.md) comes from configuration, so every producer, consumer and admin client a service
 * builds here authenticates the same way without the service knowing about it. Keys, looked up in MicroProfile
 * Config when the caller runs in Quarkus (application.properties, then environment), else in system properties,
 * else in environment variables ({@code kafka.sasl.username} = {@code KAFKA_SASL_USERNAME}):
 * <ul>
 *   <li>{@code kafka.security.protocol}: PLAINTEXT (default), SASL_PLAINTEXT, SASL_SSL or SSL;</li>
 *   <li>{@code kafka.sasl.mechanism}: default SCRAM-SHA-512 when SASL is on;</li>
 *   <li>{@code kafka.sasl.jaas.config}, or {@code kafka.sasl.username} with {@code kafka.sasl.password} or
 *       {@code kafka.sasl.password-file} (a mounted secret; its trailing newline is dropped);</li>
 *   <li>{@code kafka.ssl.*} for TLS and mutual TLS (truststore and keystore location, password, type, and the
 *       endpoint identification algorithm), passed on as they are.</li>
 * </ul>
 * Nothing set means exactly the plaintext clients of the embedded stack. A username without a protocol means
 * SASL_PLAINTEXT: credentials given must never be silently ignored.
 */
public final class KafkaSettings {
    /** Configuration keys read by {@link #security()}, all under {@code kafka.}. */
    public static final String PROTOCOL = "kafka.security.protocol";
    public static final String MECHANISM = "kafka.sasl.mechanism";
    public static final String JAAS = "kafka.sasl.jaas.config";
    public static final String USERNAME = "kafka.sasl.username";
    public static final String PASSWORD = "kafka.sasl.password";
    public static final String PASSWORD_FILE = "kafka.sasl.password-file";
    private static final List<String> SSL_KEYS = List.of(
            "ssl.truststore.location", "ssl.truststore.password", "ssl.truststore.type",
            "ssl.keystore.location", "ssl.keystore.password", "ssl.keystore.type", "ssl.key.password",
            "ssl.endpoint.identification.algorithm");

    private KafkaSettings() {
    }

    public static Map<String, Object> producer(String bootstrapServers, String clientId) {
        return producer(bootstrapServers, clientId, security());
    }

    /** A producer with the given security settings instead of the configured ones (tests, tools). */
    public static Map<String, Object> producer(String bootstrapServers, String clientId, Map<String, Object> security) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.putAll(security);
        return p;
    }

    /** A transactional producer: everything sent in one transaction becomes visible together, or not at all. */
    public static Map<String, Object> transactionalProducer(String bootstrapServers, String transactionalId) {
        return transactionalProducer(bootstrapServers, transactionalId, security());
    }

    public static Map<String, Object> transactionalProducer(String bootstrapServers, String transactionalId,
                                                            Map<String, Object> security) {
        Map<String, Object> p = producer(bootstrapServers, transactionalId, security);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 30_000);
        return p;
    }

    public static Map<String, Object> consumer(String bootstrapServers, String groupId, String clientId) {
        return consumer(bootstrapServers, groupId, clientId, security());
    }

    public static Map<String, Object> consumer(String bootstrapServers, String groupId, String clientId,
                                               Map<String, Object> security) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        if (groupId != null) {
            c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        }
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.putAll(security);
        return c;
    }

    /** An admin client's settings (topic set-up), authenticated like the service's other clients. */
    public static Map<String, Object> admin(String bootstrapServers) {
        return admin(bootstrapServers, security());
    }

    public static Map<String, Object> admin(String bootstrapServers, Map<String, Object> security) {
        Map<String, Object> a = new HashMap<>();
        a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        a.putAll(security);
        return a;
    }

    /** The security settings found in this process's configuration; empty when none (plaintext). */
    public static Map<String, Object> security() {
        return security(KafkaSettings::configured);
    }

    /** The security settings that {@code config} (key to value, keys as in the class comment) describes. */
    public static Map<String, Object> security(Function<String, Optional<String>> config) {
        Map<String, Object> s = new HashMap<>();
        Optional<String> username = config.apply(USERNAME);
        Optional<String> jaas = config.apply(JAAS);
        String protocol = config.apply(PROTOCOL)
                .orElse(username.isPresent() || jaas.isPresent() ? "SASL_PLAINTEXT" : null);
        if (protocol != null) {
            s.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, protocol.toUpperCase(Locale.ROOT));
        }
        if (protocol != null && protocol.toUpperCase(Locale.ROOT).startsWith("SASL")) {
            String mechanism = config.apply(MECHANISM).orElse("SCRAM-SHA-512");
            s.put(SaslConfigs.SASL_MECHANISM, mechanism);
            if (jaas.isPresent()) {
                s.put(SaslConfigs.SASL_JAAS_CONFIG, jaas.get());
            } else if (username.isPresent()) {
                String password = config.apply(PASSWORD)
                        .or(() -> config.apply(PASSWORD_FILE).map(KafkaSettings::readSecret))
                        .orElseThrow(() -> new IllegalStateException(USERNAME + " is set but neither " + PASSWORD
                                + " nor " + PASSWORD_FILE + " is"));
                s.put(SaslConfigs.SASL_JAAS_CONFIG, jaasConfig(mechanism, username.get(), password));
            } else {
                throw new IllegalStateException(PROTOCOL + "=" + protocol + " needs " + USERNAME + " or " + JAAS);
            }
        }
        for (String key : SSL_KEYS) {
            config.apply("kafka." + key).ifPresent(v -> s.put(key, v));
        }
        return s;
    }

    /** The JAAS line for a SCRAM (or PLAIN) login; quotes and backslashes in the secret are escaped. */
    public static String jaasConfig(String mechanism, String username, String password) {
        String module = mechanism.toUpperCase(Locale.ROOT).startsWith("SCRAM")
                ? "org.apache.kafka.common.security.scram.ScramLoginModule"
                : "org.apache.kafka.common.security.plain.PlainLoginModule";
        return module + " required username=\"" + escape(username) + "\" password=\"" + escape(password) + "\";";
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static String readSecret(String file) {
        try {
            return Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the Kafka password file " + file, e);
        }
    }

    /**
     * A setting from this process's configuration, looked up as the security keys are (MicroProfile Config, system
     * properties, environment), for other Sluice settings that must be read outside CDI.
     */
    public static Optional<String> setting(String key) {
        return configured(key);
    }

    private static Optional<String> configured(String key) {
        Optional<String> v = microProfile(key);
        if (v.isPresent()) {
            return v;
        }
        String sys = System.getProperty(key);
        if (sys != null && !sys.isBlank()) {
            return Optional.of(sys);
        }
        String env = System.getenv(key.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT));
        return env == null || env.isBlank() ? Optional.empty() : Optional.of(env);
    }

    /**
     * MicroProfile Config when the caller has one (every Quarkus service), looked up reflectively so this module
     * keeps no dependency on it.
     */
    private static Optional<String> microProfile(String key) {
        for (ClassLoader loader : new ClassLoader[] {Thread.currentThread().getContextClassLoader(),
                KafkaSettings.class.getClassLoader()}) {
            if (loader == null) {
                continue;
            }
            try {
                Class<?> provider = Class.forName("org.eclipse.microprofile.config.ConfigProvider", true, loader);
                Object config = provider.getMethod("getConfig").invoke(null);
                Method get = Class.forName("org.eclipse.microprofile.config.Config", true, loader)
                        .getMethod("getOptionalValue", String.class, Class.class);
                Optional<?> value = (Optional<?>) get.invoke(config, key, String.class);
                return value.map(Object::toString).filter(s -> !s.isBlank());
            } catch (ClassNotFoundException | LinkageError e) {
                // no MicroProfile Config here: fall back to system properties and the environment
            } catch (ReflectiveOperationException | RuntimeException e) {
                // no config registered for this class loader (a plain JVM, a tool): same fallback
            }
        }
        return Optional.empty();
    }
}
