package dev.sluice.infra;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * Entry point of the child JVM that {@link KafkaBroker} starts: writes a single-node KRaft configuration, formats
 * the storage on first use (Kafka's own StorageTool, in a short-lived JVM of its own because it exits when done)
 * and runs Kafka's own main class. Arguments: data directory, broker port, controller port, and optionally
 * {@code secure} for SASL/SCRAM with ACLs ({@link dev.sluice.infra.kafka.SecureBroker}).
 */
public final class BrokerMain {
    private BrokerMain() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int port = Integer.parseInt(args[1]);
        int controllerPort = Integer.parseInt(args[2]);
        boolean secure = args.length > 3 && args[3].equals("secure");
        String adminPassword = secure ? System.getenv(dev.sluice.infra.kafka.SecureBroker.ADMIN_PASSWORD_ENV) : null;
        Path logs = dir.resolve("kraft-logs");
        Path props = dir.resolve("server.properties");
        List<String> listeners = secure
                ? dev.sluice.infra.kafka.SecureBroker.listenerConfig(port, controllerPort, adminPassword)
                : List.of(
                "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        List<String> lines = new java.util.ArrayList<>(List.of(
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@127.0.0.1:" + controllerPort));
        lines.addAll(listeners);
        lines.addAll(List.of(
                "log.dirs=" + logs.toAbsolutePath(),
                "num.partitions=6",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=6",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "transaction.state.log.num.partitions=6",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "log.flush.interval.messages=1",
                "auto.create.topics.enable=" + !secure,
                ""));
        Files.writeString(props, String.join("\n", lines));
        if (secure) {
            // the JAAS lines above hold the admin password
            Files.setPosixFilePermissions(props, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        }
        if (!Files.exists(logs.resolve("meta.properties"))) {
            format(props, secure ? dev.sluice.infra.kafka.SecureBroker.formatArguments(adminPassword) : List.of());
        }
        kafka.Kafka.main(new String[] {props.toString()});
    }

    private static void format(Path props, List<String> extra) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of(JavaHome.javaExecutable(), "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), "kafka.tools.StorageTool", "format",
                // "--cluster-id=<id>", not "-t <id>": one id in 64 starts with '-' (URL-safe base64), which the
                // tool's argument parser then takes for an option and the broker never starts
                "--cluster-id=" + clusterId(), "-c", props.toString(), "--ignore-formatted"));
        cmd.addAll(extra);
        Process p = new ProcessBuilder(cmd)
                .inheritIO()
                .start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("Kafka storage format failed with exit code " + p.exitValue());
        }
    }

    /** A Kafka cluster id: 16 random bytes, URL-safe base64 without padding. */
    private static String clusterId() {
        UUID u = UUID.randomUUID();
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16);
        b.putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
    }
}
