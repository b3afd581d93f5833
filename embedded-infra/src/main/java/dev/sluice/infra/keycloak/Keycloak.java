package dev.sluice.infra.keycloak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.infra.Ports;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A real Keycloak without Docker: the distribution zip from Maven Central
 * ({@code org.keycloak:keycloak-quarkus-dist:26.7.3:zip}), unpacked once under {@code ~/.cache/sluice} (or
 * {@code $SLUICE_KEYCLOAK_HOME}) and started with {@code kc.sh start-dev} on a loopback port; realm files are
 * imported through the admin API, replacing a realm of the same name, so a test sees exactly the file plus what
 * it adds.
 *
 * <p>The options given to {@code kc.sh} are the same at every start: a different build-time option would make
 * Keycloak rebuild itself first (tens of seconds).
 */
public final class Keycloak implements AutoCloseable {
    public static final String VERSION = "26.7.3";
    static final String ADMIN = "kcadmin";
    static final String ADMIN_PASSWORD = "kcadmin";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final int port;
    private final Path log;
    private final FileLock lock;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private Keycloak(Process process, int port, Path log, FileLock lock) {
        this.process = process;
        this.port = port;
        this.log = log;
        this.lock = lock;
    }

    /**
     * Starts Keycloak on {@code port} (0 = a free one) and (re)creates each realm of {@code realmFiles} through the
     * admin API, deleting a realm of that name first, so a test always starts from exactly the file's content.
     * The database (H2 under the home's {@code data/}) is kept between starts: creating its schema is the slowest
     * part of a start, several minutes on a loaded machine.
     */
    public static Keycloak start(int port, Path... realmFiles) {
        Path home = home();
        try {
            // One Keycloak per home at a time: two on one database would corrupt it.
            FileChannel ch = FileChannel.open(home.resolve(".sluice-lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            FileLock lock = ch.lock();
            int p = port == 0 ? Ports.free() : port;
            Path log = Files.createTempFile("sluice-keycloak", ".log");
            ProcessBuilder pb = new ProcessBuilder(home.resolve("bin").resolve("kc.sh").toString(), "start-dev",
                    "--http-host=127.0.0.1", "--http-port=" + p)
                    .directory(home.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            pb.environment().put("JAVA_HOME", Path.of(System.getProperty("java.home")).toString());
            pb.environment().put("KC_BOOTSTRAP_ADMIN_USERNAME", ADMIN);
            pb.environment().put("KC_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD);
            Keycloak kc = new Keycloak(pb.start(), p, log, lock);
            kc.awaitReady("master");
            for (Path realm : realmFiles) {
                kc.importRealm(realm);
            }
            return kc;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Replaces the realm named in {@code realmFile} by the file's content (the same JSON {@code --import-realm} reads). */
    public void importRealm(Path realmFile) throws IOException {
        String name = realmName(realmFile);
        String admin = passwordToken("master", "admin-cli", ADMIN, ADMIN_PASSWORD);
        HttpResponse<String> deleted = send(HttpRequest.newBuilder(URI.create(url() + "/admin/realms/" + name))
                .header("Authorization", "Bearer " + admin).DELETE());
        if (deleted.statusCode() != 204 && deleted.statusCode() != 404) {
            throw new IllegalStateException("deleting realm " + name + " failed (" + deleted.statusCode() + "): " + deleted.body());
        }
        HttpResponse<String> created = send(HttpRequest.newBuilder(URI.create(url() + "/admin/realms"))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Files.readString(realmFile))));
        if (created.statusCode() != 201) {
            throw new IllegalStateException("importing " + realmFile + " failed (" + created.statusCode() + "): " + created.body());
        }
    }

    /** {@code http://127.0.0.1:<port>}: the host string tokens name as issuer, so services must use the same. */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public String issuer(String realm) {
        return url() + "/realms/" + realm;
    }

    /** An access token for {@code user} by the password grant through public client {@code clientId}. */
    public String passwordToken(String realm, String clientId, String user, String password) {
        return tokenResponse(realm, Map.of("grant_type", "password", "client_id", clientId, "username", user,
                "password", password, "scope", "openid")).get("access_token").asText();
    }

    /** The token endpoint's whole answer (access, refresh and their lifetimes) for the given form. */
    public JsonNode tokenResponse(String realm, Map<String, String> form) {
        StringJoiner body = new StringJoiner("&");
        form.forEach((k, v) -> body.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(v, StandardCharsets.UTF_8)));
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(issuer(realm)
                        + "/protocol/openid-connect/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
        if (r.statusCode() != 200) {
            throw new IllegalStateException("token request failed (" + r.statusCode() + "): " + r.body());
        }
        return read(r.body());
    }

    /** Creates an enabled user with a permanent password and the given realm roles (admin REST API). */
    public void createUser(String realm, String user, String password, String... realmRoles) {
        String admin = passwordToken("master", "admin-cli", ADMIN, ADMIN_PASSWORD);
        String rep = """
                {"username":"%s","enabled":true,"firstName":"%s","lastName":"Sluice","email":"%s@example.org",
                 "emailVerified":true,"credentials":[{"type":"password","value":"%s","temporary":false}]}"""
                .formatted(user, user, user, password);
        HttpResponse<String> created = send(HttpRequest.newBuilder(URI.create(url() + "/admin/realms/" + realm + "/users"))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(rep)));
        if (created.statusCode() != 201) {
            throw new IllegalStateException("creating user " + user + " failed (" + created.statusCode() + "): " + created.body());
        }
        String location = created.headers().firstValue("Location").orElseThrow();
        List<String> roles = new ArrayList<>();
        for (String role : realmRoles) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(url() + "/admin/realms/" + realm + "/roles/" + role))
                    .header("Authorization", "Bearer " + admin).GET());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("realm role " + role + " not found (" + r.statusCode() + ")");
            }
            roles.add(r.body());
        }
        if (!roles.isEmpty()) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(location + "/role-mappings/realm"))
                    .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("[" + String.join(",", roles) + "]")));
            if (r.statusCode() / 100 != 2) {
                throw new IllegalStateException("granting roles to " + user + " failed (" + r.statusCode() + "): " + r.body());
            }
        }
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            lock.release();
            lock.channel().close();
            Files.deleteIfExists(log);
        } catch (IOException ignored) {
            // the lock goes with the process anyway
        }
    }

    private void awaitReady(String realm) {
        URI probe = URI.create(issuer(realm) + "/.well-known/openid-configuration");
        // The first start of a fresh home builds Keycloak and creates its database (1.5 min idle, far more under
        // load): generous, since giving up costs the whole suite.
        long deadline = System.nanoTime() + Duration.ofMinutes(15).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                String tail = tail();
                close();
                throw new IllegalStateException("Keycloak exited (" + process.exitValue() + "):\n" + tail);
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(probe).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        String tail = tail();
        close();
        throw new IllegalStateException("Keycloak did not serve realm " + realm + " in time:\n" + tail);
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private HttpResponse<String> send(HttpRequest.Builder b) {
        try {
            return http.send(b.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode read(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String realmName(Path realmFile) {
        try {
            return JSON.readTree(realmFile.toFile()).get("realm").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The unpacked distribution: {@code $SLUICE_KEYCLOAK_HOME}, else {@code ~/.cache/sluice/keycloak-<version>},
     * unpacked there from the zip in the local Maven repository the first time.
     */
    public static Path home() {
        String env = System.getenv("SLUICE_KEYCLOAK_HOME");
        Path home = env != null && !env.isBlank() ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "sluice", "keycloak-" + VERSION);
        if (Files.isExecutable(home.resolve("bin").resolve("kc.sh"))) {
            return home;
        }
        Path zip = Path.of(System.getProperty("maven.repo.local",
                        Path.of(System.getProperty("user.home"), ".m2", "repository").toString()))
                .resolve("org/keycloak/keycloak-quarkus-dist/" + VERSION + "/keycloak-quarkus-dist-" + VERSION + ".zip");
        if (!Files.isReadable(zip)) {
            throw new IllegalStateException("Keycloak " + VERSION + " is not unpacked at " + home + " and its zip is not at "
                    + zip + ": ./mvnw dependency:get -Dartifact=org.keycloak:keycloak-quarkus-dist:" + VERSION
                    + ":zip downloads it from Maven Central");
        }
        unzip(zip, home);
        return home;
    }

    /** Unpacks into a sibling folder first, so an interrupted unpack never looks like a finished one. */
    private static void unzip(Path zip, Path home) {
        try {
            Path parent = Files.createDirectories(home.toAbsolutePath().getParent());
            Path tmp = Files.createTempDirectory(parent, "keycloak-unpack");
            try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
                String prefix = "keycloak-" + VERSION + "/";
                for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                    String name = e.getName().startsWith(prefix) ? e.getName().substring(prefix.length()) : e.getName();
                    if (name.isEmpty() || name.contains("..")) {
                        continue;
                    }
                    Path target = tmp.resolve(name);
                    if (e.isDirectory()) {
                        Files.createDirectories(target);
                    } else {
                        Files.createDirectories(target.getParent());
                        Files.copy(new NoClose(in), target, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            try (var scripts = Files.list(tmp.resolve("bin"))) {
                for (Path s : scripts.toList()) {
                    if (s.toString().endsWith(".sh")) {
                        Files.setPosixFilePermissions(s, PosixFilePermissions.fromString("rwxr-xr-x"));
                    }
                }
            }
            try {
                Files.move(tmp, home, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                // Someone else unpacked it meanwhile: theirs is as good as ours.
                deleteTree(tmp);
                if (!Files.isExecutable(home.resolve("bin").resolve("kc.sh"))) {
                    throw e;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack " + zip + " into " + home, e);
        }
    }

    private static final class NoClose extends java.io.FilterInputStream {
        NoClose(InputStream in) {
            super(in);
        }

        @Override
        public void close() {
            // the zip stream stays open for the next entry
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
