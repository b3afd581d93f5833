package dev.sluice.infra;

import dev.sluice.contracts.kafka.TopicSetup;
import dev.sluice.infra.kafka.KafkaAccess;
import dev.sluice.infra.kafka.SecureBroker;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real single-node Kafka broker (KRaft, broker and controller combined) from Maven Central jars, run as a child
 * JVM so its large classpath never mixes with the caller's. Data survives a stop when the same directory is
 * used again. Used by every service's tests and by the local runner.
 */
public final class KafkaBroker implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path dataDir;
    /** Null in the open mode every test and the local runner use. */
    private final String adminPassword;

    private KafkaBroker(Process process, int port, Path dataDir, String adminPassword) {
        this.process = process;
        this.port = port;
        this.dataDir = dataDir;
        this.adminPassword = adminPassword;
    }

    /**
     * Starts a broker on {@code port} (0 for any free one) keeping its data and log in {@code dataDir}. With port 0
     * a broker that exits at once (another process took one of the free ports between the check and the bind) is
     * started again on fresh ports, up to three times.
     */
    public static KafkaBroker start(Path dataDir, int port) {
        return start(dataDir, port, null);
    }

    /**
     * Starts a broker in the production stack's secure mode ({@link SecureBroker}): SASL/SCRAM-SHA-512 on loopback,
     * ACLs enforced, {@code admin} with {@code adminPassword} the only super user, Sluice's topics created. Users
     * and ACLs are the caller's to add ({@link #admin()}, {@link KafkaAccess#apply}). The open mode is unchanged.
     */
    public static KafkaBroker startSecure(Path dataDir, int port, String adminPassword) {
        return start(dataDir, port, java.util.Objects.requireNonNull(adminPassword));
    }

    private static KafkaBroker start(Path dataDir, int port, String adminPassword) {
        int attempts = port == 0 ? 3 : 1;
        for (int attempt = 1; ; attempt++) {
            try {
                return startOnce(dataDir, port, adminPassword);
            } catch (BrokerExited e) {
                if (attempt >= attempts) {
                    throw e;
                }
            }
        }
    }

    /** The broker process ended before it was ready. */
    static final class BrokerExited extends IllegalStateException {
        BrokerExited(String message) {
            super(message);
        }
    }

    private static KafkaBroker startOnce(Path dataDir, int port, String adminPassword) {
        try {
            Files.createDirectories(dataDir);
            int brokerPort = port == 0 ? Ports.free() : port;
            int controllerPort = Ports.free();
            List<String> cmd = new ArrayList<>();
            cmd.add(JavaHome.javaExecutable());
            cmd.add("-Xms256m");
            cmd.add("-Xmx768m");
            cmd.add("-XX:+UseSerialGC");
            cmd.add("-XX:TieredStopAtLevel=1");
            cmd.add("-Dlog4j2.level=WARN");
            cmd.add("-cp");
            cmd.add(brokerClasspath());
            cmd.add(BrokerMain.class.getName());
            cmd.add(dataDir.toAbsolutePath().toString());
            cmd.add(Integer.toString(brokerPort));
            cmd.add(Integer.toString(controllerPort));
            if (adminPassword != null) {
                cmd.add("secure");
            }
            Path log = dataDir.resolve("broker.log");
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            if (adminPassword != null) {
                pb.environment().put(SecureBroker.ADMIN_PASSWORD_ENV, adminPassword);
            }
            Process p = pb.start();
            KafkaBroker broker = new KafkaBroker(p, brokerPort, dataDir, adminPassword);
            broker.awaitReady(Duration.ofSeconds(90), log);
            return broker;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start Kafka broker in " + dataDir, e);
        }
    }

    private void awaitReady(Duration timeout, Path log) {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new BrokerExited("Kafka broker exited with " + process.exitValue() + "; see " + log);
            }
            if (Ports.isOpen(port)) {
                if (adminPassword == null) {
                    TopicSetup.ensureTopics(bootstrapServers(), (short) 1);
                } else {
                    SecureBroker.createTopics(bootstrapServers(), adminPassword);
                }
                return;
            }
            sleep(100);
        }
        process.destroyForcibly();
        throw new IllegalStateException("Kafka broker did not open port " + port + " within " + timeout + "; see " + log);
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /** Whether this broker authenticates clients and enforces ACLs ({@link #startSecure}). */
    public boolean secure() {
        return adminPassword != null;
    }

    /** Client security settings of the super user (empty for an open broker), for KafkaSettings' overloads. */
    public Map<String, Object> adminSecurity() {
        return adminPassword == null ? Map.of() : SecureBroker.client(KafkaAccess.ADMIN, adminPassword);
    }

    /** An admin client as the super user. */
    public org.apache.kafka.clients.admin.Admin admin() {
        return org.apache.kafka.clients.admin.Admin.create(
                dev.sluice.contracts.kafka.KafkaSettings.admin(bootstrapServers(), adminSecurity()));
    }

    public int port() {
        return port;
    }

    public Path dataDir() {
        return dataDir;
    }

    public long pid() {
        return process.pid();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** This module's classes plus the Kafka server jars recorded at build time (see the module's pom). */
    static String brokerClasspath() throws IOException {
        String own;
        try {
            own = Path.of(KafkaBroker.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        try (InputStream in = KafkaBroker.class.getResourceAsStream("broker-classpath.txt")) {
            if (in == null) {
                throw new IOException("broker-classpath.txt missing: build sluice-embedded-infra with Maven first");
            }
            String deps = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            return own + java.io.File.pathSeparator + deps;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
