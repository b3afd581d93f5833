package dev.sluice.auth.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.identity.UserUpserted;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.infra.keycloak.Keycloak;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sluice with OpenID Connect on, against a real Keycloak that imports {@code infra/keycloak/sluice-realm.json}
 * (so the realm file is proven too): one Keycloak and one {@code ./sluice up} for all checks, since Keycloak's
 * start is the slowest thing in the suite. Users are driven through {@code bin/} with their tokens, as a user
 * would after {@code slogin}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AccessControlTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String REALM = "sluice";
    static final Pattern SUBMITTED = Pattern.compile("Submitted batch job (\\d+)");

    @TempDir
    static Path tmp;

    Keycloak keycloak;
    Stack stack;
    Properties endpoints;
    /** Where jobs write slurm-N.out: their uids exist nowhere, so the folder is open to all, as /tmp is. */
    Path workDir;
    final HttpClient http = HttpClient.newHttpClient();
    final Map<String, String> tokens = new HashMap<>();

    @BeforeAll
    void start() throws Exception {
        keycloak = Keycloak.start(0, Stack.REPO.resolve("infra/keycloak/sluice-realm.json"));
        keycloak.createUser(REALM, "alice", "alice-pw", "user");
        keycloak.createUser(REALM, "bob", "bob-pw", "user");
        keycloak.createUser(REALM, "olga", "olga-pw", "operator");
        keycloak.createUser(REALM, "adam", "adam-pw", "admin");
        for (String u : List.of("alice", "bob", "olga", "adam")) {
            tokens.put(u, keycloak.passwordToken(REALM, "sluice-cli", u, u + "-pw"));
        }
        // Jobs run as uids that exist nowhere: the folders above the node agent's state must be traversable.
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        workDir = Files.createTempDirectory(Path.of("/tmp"), "sluice-auth-it");
        Files.setPosixFilePermissions(workDir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path home = Files.createDirectories(tmp.resolve("sluice"));
        stack = Stack.up(home, Map.of("SLUICE_AUTH_ENABLED", "true",
                "QUARKUS_OIDC_AUTH_SERVER_URL", keycloak.issuer(REALM)));
        endpoints = stack.endpoints();
        // What an LDAP sync would publish: the users' numeric ids (none of them exists on this machine).
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(KafkaSettings.producer(
                endpoints.getProperty("kafka.bootstrap.servers"), "auth-it"))) {
            int uid = 5001;
            for (String u : List.of("alice", "bob", "olga", "adam")) {
                p.send(KafkaCloudEvents.toRecord("sluice/test", new UserUpserted(u, uid, uid, List.of(), u, null,
                        "/bin/bash", List.of(), Instant.now()))).get();
                uid++;
            }
        }
    }

    @AfterAll
    void stop() {
        if (stack != null) {
            stack.close();
        }
        if (keycloak != null) {
            keycloak.close();
        }
    }

    @Test
    void rolesAndOwnershipAreEnforcedOnEveryApi() throws Exception {
        String submit = endpoints.getProperty("submit.url");
        String accounting = endpoints.getProperty("accounting.url");
        String identity = endpoints.getProperty("identity.url");

        // No token, or a forged one: 401 with a message saying what to do, on every API.
        for (String url : List.of(submit + "/api/v1/jobs", accounting + "/api/v1/associations",
                identity + "/api/v1/identity/users")) {
            HttpResponse<String> none = get(url, null);
            assertThat(none.statusCode()).as(url).isEqualTo(401);
            assertThat(error(none)).contains("Authentication required").contains("slogin");
            HttpResponse<String> forged = get(url, "not.a.token");
            assertThat(forged.statusCode()).as(url).isEqualTo(401);
            assertThat(error(forged)).contains("Invalid or expired token");
        }
        // The CLI without a token says how to log in.
        Stack.Result anonymous = stack.cli(Map.of(), null, "squeue");
        assertThat(anonymous.exitCode()).isNotZero();
        assertThat(anonymous.err()).contains("slogin");

        // sacctmgr changes need admin: a user is refused with the role named, the admin's command works.
        Stack.Result userAdds = cli("alice", "sacctmgr", "-i", "add", "account", "lab");
        assertThat(userAdds.exitCode()).isNotZero();
        assertThat(userAdds.err()).contains("Access/permission denied").contains("admin role");
        assertThat(cli("alice", "sacctmgr", "show", "account").exitCode()).as("reading is for users").isZero();
        Stack.Result adminAdds = cli("adam", "sacctmgr", "-i", "add", "account", "lab");
        assertThat(adminAdds.exitCode()).as(adminAdds.err()).isZero();
        for (String u : List.of("alice", "bob", "olga")) {
            Stack.Result r = cli("adam", "sacctmgr", "-i", "add", "user", u, "Account=lab");
            assertThat(r.exitCode()).as(r.err()).isZero();
        }

        // Identity sync needs admin (this stack has no LDAP, so the admin gets past the guard to a 409).
        HttpResponse<String> userSync = post(identity + "/api/v1/identity/sync", tokens.get("alice"));
        assertThat(userSync.statusCode()).isEqualTo(403);
        assertThat(error(userSync)).contains("admin role");
        assertThat(post(identity + "/api/v1/identity/sync", tokens.get("adam")).statusCode()).isEqualTo(409);

        // alice and bob submit (the association events reach submit asynchronously: retried until accepted).
        long aliceJob = submitted("alice");
        long bobJob = submitted("bob");

        // alice sees only her job, and cannot see or cancel bob's.
        Stack.Result aliceQueue = cli("alice", "squeue", "-h", "-o", "%i %u");
        assertThat(aliceQueue.out()).as(aliceQueue.err() + stack.tailLogs()).contains(aliceJob + " alice")
                .doesNotContain("bob");
        HttpResponse<String> peek = get(submit + "/api/v1/jobs/" + bobJob, tokens.get("alice"));
        assertThat(peek.statusCode()).isEqualTo(403);
        assertThat(error(peek)).startsWith("Access/permission denied");
        assertThat(get(submit + "/api/v1/jobs?user=bob", tokens.get("alice")).statusCode()).isEqualTo(403);
        Stack.Result aliceCancels = cli("alice", "scancel", Long.toString(bobJob));
        assertThat(aliceCancels.exitCode()).isNotZero();
        assertThat(aliceCancels.err()).contains("Kill job error on job id " + bobJob + ": Access/permission denied");
        assertThat(job(bobJob, "olga").path("state").asText()).isIn("PENDING", "RUNNING", "CONFIGURING");

        // The job's owner is the token's user with identity's uid, whatever the CLI (run as root here) claimed.
        JsonNode mine = job(aliceJob, "alice");
        assertThat(mine.path("user").asText()).isEqualTo("alice");
        assertThat(mine.path("uid").asInt()).isEqualTo(5001);

        // The operator sees both and cancels bob's job.
        Stack.Result olgaQueue = cli("olga", "squeue", "-h", "-o", "%i %u");
        assertThat(olgaQueue.out()).contains(aliceJob + " alice").contains(bobJob + " bob");
        Stack.Result olgaCancels = cli("olga", "scancel", Long.toString(bobJob));
        assertThat(olgaCancels.exitCode()).as(olgaCancels.err()).isZero();
        await(() -> job(bobJob, "olga").path("state").asText(), "CANCELLED"::equals, "bob's job cancelled");
        assertThat(cli("alice", "scancel", Long.toString(aliceJob)).exitCode()).as("one's own job").isZero();
    }

    @Test
    void sloginCachesATokenOnlyItsUserCanReadAndTheCommandsUseIt() throws Exception {
        Path userHome = Files.createDirectories(tmp.resolve("home-bob"));
        Map<String, String> env = Map.of("HOME", userHome.toString());
        Stack.Result login = stack.cli(env, "bob-pw\n", "slogin", "-u", "bob", "--password-stdin");
        assertThat(login.exitCode()).as(login.err()).isZero();
        assertThat(login.out()).contains("logged in as bob").contains("roles user");
        Path file = userHome.resolve(".config/sluice/token.json");
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));

        Stack.Result queue = stack.cli(env, null, "squeue");
        assertThat(queue.exitCode()).as(queue.err()).isZero();

        // An expired access token is renewed with the refresh token, and the renewed one is cached.
        JsonNode cached = JSON.readTree(file.toFile());
        ((com.fasterxml.jackson.databind.node.ObjectNode) cached).put("expires_at", 0);
        Files.writeString(file, cached.toString());
        Stack.Result refreshed = stack.cli(env, null, "squeue");
        assertThat(refreshed.exitCode()).as(refreshed.err()).isZero();
        JsonNode renewed = JSON.readTree(file.toFile());
        assertThat(renewed.path("access_token").asText()).isNotEqualTo(cached.path("access_token").asText());
        assertThat(renewed.path("expires_at").asLong()).isGreaterThan(Instant.now().getEpochSecond());
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        Stack.Result status = stack.cli(env, null, "slogin", "--status");
        assertThat(status.out()).contains("logged in as bob");

        Stack.Result wrong = stack.cli(env, "nope\n", "slogin", "-u", "bob", "--password-stdin");
        assertThat(wrong.exitCode()).isNotZero();
        assertThat(wrong.err()).contains("login as bob refused");

        assertThat(stack.cli(env, null, "slogin", "--logout").exitCode()).isZero();
        assertThat(file).doesNotExist();
        assertThat(stack.cli(env, null, "squeue").err()).contains("slogin");
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    Stack.Result cli(String user, String command, String... args) {
        return stack.cli(Map.of("SLUICE_TOKEN", tokens.get(user)), null, command, args);
    }

    long submitted(String user) {
        Stack.Result r = await(() -> cli(user, "sbatch", "--chdir=" + workDir, "--wrap", "sleep 600"),
                x -> x.exitCode() == 0,
                user + "'s sbatch to be accepted");
        Matcher m = SUBMITTED.matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        return Long.parseLong(m.group(1));
    }

    JsonNode job(long id, String as) {
        try {
            HttpResponse<String> r = get(endpoints.getProperty("submit.url") + "/api/v1/jobs/" + id, tokens.get(as));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            return JSON.readTree(r.body());
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<String> get(String url, String token) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String url, String token) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static String error(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body()).path("error").asText();
    }

    static <T> T await(Supplier<T> probe, Predicate<T> condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        T last = null;
        while (System.nanoTime() < deadline) {
            last = probe.get();
            if (condition.test(last)) {
                return last;
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
        throw new AssertionError("gave up waiting for " + what + "; last: " + last);
    }
}
