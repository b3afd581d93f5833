package dev.sluice.infra.kafka;

import dev.sluice.contracts.kafka.KafkaSettings;
import org.apache.kafka.clients.admin.Admin;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The secure mode of {@link dev.sluice.infra.KafkaBroker}: the production stack's broker security on loopback, for
 * tests. Clients authenticate with SASL/SCRAM-SHA-512 (SASL_PLAINTEXT: loopback needs no TLS), the controller
 * listener with SASL/PLAIN (KRaft controllers cannot check SCRAM before the metadata that holds SCRAM users is
 * loaded), KRaft's StandardAuthorizer denies whatever no ACL allows, and {@code admin} is the only super user.
 * The admin's SCRAM credential is written into the storage at format time, since no one could create it later.
 */
public final class SecureBroker {
    /** The child JVM reads the admin password from its environment, never from its command line. */
    public static final String ADMIN_PASSWORD_ENV = "SLUICE_KAFKA_ADMIN_PASSWORD";
    public static final String MECHANISM = "SCRAM-SHA-512";

    private SecureBroker() {
    }

    /** The listener and security lines of the broker's server.properties. */
    public static List<String> listenerConfig(int port, int controllerPort, String adminPassword) {
        if (adminPassword == null || adminPassword.isBlank()) {
            throw new IllegalStateException(ADMIN_PASSWORD_ENV + " is not set");
        }
        if (!adminPassword.matches("[A-Za-z0-9._~+-]+")) {
            // it goes into JAAS quotes and StorageTool's [name=...,password=...] syntax unescaped
            throw new IllegalArgumentException("The Kafka admin password may hold only letters, digits and ._~+-");
        }
        return List.of(
                "listeners=SASL_PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=SASL_PLAINTEXT://127.0.0.1:" + port,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=SASL_PLAINTEXT",
                "listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
                "sasl.enabled.mechanisms=" + MECHANISM,
                "sasl.mechanism.inter.broker.protocol=" + MECHANISM,
                "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config="
                        + KafkaSettings.jaasConfig(MECHANISM, KafkaAccess.ADMIN, adminPassword),
                "sasl.mechanism.controller.protocol=PLAIN",
                "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
                "listener.name.controller.plain.sasl.jaas.config="
                        + "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\" password=\""
                        + adminPassword + "\" user_admin=\"" + adminPassword + "\";",
                "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                "super.users=User:" + KafkaAccess.ADMIN,
                "allow.everyone.if.no.acl.found=false");
    }

    /** StorageTool arguments that store the admin's SCRAM credential in the freshly formatted metadata. */
    public static List<String> formatArguments(String adminPassword) {
        return List.of("--add-scram", MECHANISM + "=[name=" + KafkaAccess.ADMIN + ",password=" + adminPassword + "]");
    }

    /** Client security settings for {@code user} on this broker. */
    public static Map<String, Object> client(String user, String password) {
        return KafkaSettings.security(key -> switch (key) {
            case KafkaSettings.PROTOCOL -> Optional.of("SASL_PLAINTEXT");
            case KafkaSettings.MECHANISM -> Optional.of(MECHANISM);
            case KafkaSettings.USERNAME -> Optional.of(user);
            case KafkaSettings.PASSWORD -> Optional.of(password);
            default -> Optional.empty();
        });
    }

    /** Creates Sluice's topics as the admin once the broker listens. */
    public static void createTopics(String bootstrapServers, String adminPassword) {
        try (Admin admin = Admin.create(KafkaSettings.admin(bootstrapServers, client(KafkaAccess.ADMIN, adminPassword)))) {
            KafkaAccess.createTopics(admin, (short) 1);
        } catch (Exception e) {
            throw new IllegalStateException("Cannot create Sluice topics on " + bootstrapServers + ": " + e, e);
        }
    }
}
