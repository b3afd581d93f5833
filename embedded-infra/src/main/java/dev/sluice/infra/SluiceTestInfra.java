package dev.sluice.infra;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The Quarkus test resource every service uses: a real Kafka broker and, unless {@code postgres=false}, a real
 * PostgreSQL with a database named by the {@code database} argument. Sets {@code kafka.bootstrap.servers} and the
 * datasource URLs; Dev Services stay off.
 *
 * <pre>@QuarkusTestResource(value = SluiceTestInfra.class, initArgs = @ResourceArg(name = "database", value = "submit"))</pre>
 */
public class SluiceTestInfra implements QuarkusTestResourceLifecycleManager {
    private KafkaBroker kafka;
    private Postgres postgres;
    private String database = "sluice";
    private boolean withPostgres = true;
    private Path dir;

    /** The broker of the running test resource, for tests that produce or consume directly. */
    public static volatile String bootstrapServers;

    @Override
    public void init(Map<String, String> initArgs) {
        database = initArgs.getOrDefault("database", database);
        withPostgres = Boolean.parseBoolean(initArgs.getOrDefault("postgres", "true"));
    }

    @Override
    public Map<String, String> start() {
        try {
            dir = Files.createTempDirectory("sluice-test-infra");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        kafka = KafkaBroker.start(dir.resolve("kafka"), 0);
        bootstrapServers = kafka.bootstrapServers();
        Map<String, String> cfg = new HashMap<>();
        cfg.put("kafka.bootstrap.servers", kafka.bootstrapServers());
        cfg.put("quarkus.devservices.enabled", "false");
        if (withPostgres) {
            postgres = Postgres.start(dir.resolve("postgres"), 0);
            postgres.ensureDatabase(database);
            cfg.put("quarkus.datasource.username", postgres.user());
            cfg.put("quarkus.datasource.password", postgres.password());
            cfg.put("quarkus.datasource.jdbc.url", postgres.jdbcUrl(database));
            cfg.put("quarkus.datasource.reactive.url", postgres.reactiveUrl(database));
        }
        return cfg;
    }

    @Override
    public void stop() {
        if (kafka != null) {
            kafka.close();
        }
        if (postgres != null) {
            postgres.close();
        }
        deleteQuietly(dir);
    }

    static void deleteQuietly(Path root) {
        if (root == null) {
            return;
        }
        try (var walk = Files.walk(root)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temp folder is harmless
        }
    }
}
