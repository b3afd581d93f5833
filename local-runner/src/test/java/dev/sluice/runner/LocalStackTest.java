package dev.sluice.runner;

import dev.sluice.scheduler.core.config.ClusterConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The runner against real processes: a real Kafka broker, a real PostgreSQL, and stand-in service JVMs in a
 * throw-away repository layout, on free ports so that it can run beside a developer's own stack.
 */
class LocalStackTest {
    @TempDir
    Path repo;
    @TempDir
    Path data;

    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private Commands commands;

    private Commands commands(String... extra) {
        List<String> args = new ArrayList<>(List.of("--repo", repo.toString(), "--data", data.toString(),
                "--free-ports", "--skip-missing", "--timeout", "120"));
        args.addAll(List.of(extra));
        commands = new Commands(RunnerOptions.parse(args, repo, null),
                new PrintStream(outBytes, true, StandardCharsets.UTF_8), new PrintStream(errBytes, true, StandardCharsets.UTF_8));
        return commands;
    }

    private String out() {
        String s = outBytes.toString(StandardCharsets.UTF_8);
        outBytes.reset();
        return s;
    }

    private String err() {
        String s = errBytes.toString(StandardCharsets.UTF_8);
        errBytes.reset();
        return s;
    }

    @AfterEach
    void stopWhateverRuns() throws InterruptedException {
        if (commands != null) {
            commands.down();
        }
    }

    @Test
    void upStartsEverythingThatIsBuiltStatusShowsItDownStopsIt() throws Exception {
        fakeServiceJar("accounting", FakeService.class);
        Commands c = commands();

        assertThat(c.up(System.getProperty("java.class.path"))).as(err()).isZero();
        String up = out();
        assertThat(up).contains("[1/7] kafka", "[2/7] postgres", "[3/7] accounting", "ready (");
        assertThat(up).contains("[4/7] submit", "skipped: services/submit/target/quarkus-app/quarkus-run.jar is not built");
        assertThat(up).contains("loopback", "bin/sbatch examples/hello_world.sh", "export SLUICE_HOME=" + data);

        Properties endpoints = new Properties();
        try (var r = Files.newBufferedReader(data.resolve("endpoints.properties"))) {
            endpoints.load(r);
        }
        String accounting = endpoints.getProperty("accounting.url");
        assertThat(endpoints.getProperty("submit.url")).isNull();
        Properties props = new Properties();
        props.load(new java.io.StringReader(get(accounting + "/props")));
        assertThat(props.getProperty("kafka.bootstrap.servers")).isEqualTo(endpoints.getProperty("kafka.bootstrap.servers"));
        assertThat(props.getProperty("quarkus.http.host")).isEqualTo("127.0.0.1");
        assertThat(props.getProperty("sluice.cluster-config")).isEqualTo(data.resolve("sluice.conf").toString());
        assertThat(props.getProperty("quarkus.datasource.jdbc.url")).endsWith("/accounting");
        assertThat(Files.readString(data.resolve("sluice.conf"))).isEqualTo(ClusterConfig.LOCAL_DEFAULT);
        try (Connection db = DriverManager.getConnection(props.getProperty("quarkus.datasource.jdbc.url"),
                props.getProperty("quarkus.datasource.username"), props.getProperty("quarkus.datasource.password"));
             ResultSet rs = db.createStatement().executeQuery("select current_database()")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("accounting");
        }

        assertThat(c.status()).isZero();
        String status = out();
        assertThat(status).contains("Sluice is running").contains("Logs: " + data.resolve("logs"));
        assertThat(status.lines().filter(l -> l.endsWith("alive, ready")).map(l -> l.split("\\s+")[0]))
                .containsExactly("kafka", "postgres", "accounting");

        assertThat(c.up(System.getProperty("java.class.path"))).isZero();
        assertThat(out()).contains("already running");

        List<Long> pids = StateFile.read(new Layout(data)).components().stream().map(StateFile.Entry::pid).toList();
        long supervisor = StateFile.read(new Layout(data)).supervisorPid().orElseThrow();
        // "Ours and running": a zombie (exited, not yet reaped by init) has no command line and does not count.
        assertThat(pids).hasSize(3).allMatch(p -> StateFile.ours(p, data).isPresent());

        assertThat(c.down()).isZero();
        assertThat(out()).contains("Sluice stopped");
        assertThat(Stream.concat(pids.stream(), Stream.of(supervisor)))
                .noneMatch(p -> StateFile.ours(p, data).isPresent());
        assertThat(c.status()).isEqualTo(3);
        assertThat(out()).contains("not running");
    }

    @Test
    void aComponentThatDiesFailsUpWithItsLogAndStopsTheRest() throws Exception {
        fakeServiceJar("accounting", FakeService.class);
        fakeServiceJar("node-agent", FailingService.class);
        Commands c = commands("--nodes", "1");

        assertThat(c.up(System.getProperty("java.class.path"))).isEqualTo(1);
        assertThat(out()).contains("[3/7] accounting", "[7/7] node01", "FAILED");
        Path nodeLog = data.resolve("logs/node01.log");
        assertThat(err()).contains("node01: exited with status 3 before it was ready (log: " + nodeLog + ")");
        assertThat(Files.readString(nodeLog)).contains("the fake node agent always fails");

        // The supervisor stops what it started and exits on its own.
        assertThat(c.supervisor()).isEmpty();
        assertThat(c.status()).isEqualTo(3);
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            assertThat(all.filter(h -> StateFile.ours(h.pid(), data).isPresent()).map(ProcessHandle::pid)).isEmpty();
        }
    }

    private static String get(String url) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** A runnable jar at the path where the runner looks for a built service, holding one test class. */
    private void fakeServiceJar(String service, Class<?> main) throws Exception {
        Path jar = repo.resolve("services").resolve(service).resolve("target/quarkus-app/quarkus-run.jar");
        Files.createDirectories(jar.getParent());
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, main.getName());
        Path classes = Path.of(main.getProtectionDomain().getCodeSource().getLocation().toURI());
        String entry = main.getName().replace('.', '/') + ".class";
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(os, m)) {
            jos.putNextEntry(new JarEntry(entry));
            jos.write(Files.readAllBytes(classes.resolve(entry)));
            jos.closeEntry();
        }
    }
}
