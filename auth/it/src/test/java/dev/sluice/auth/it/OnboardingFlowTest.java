package dev.sluice.auth.it;

import dev.sluice.infra.ldap.Slapd;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
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
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The seed's onboarding flow on a whole local Sluice (authentication off, as {@code ./sluice up} runs by default):
 * real slapd, identity syncing it, submit checking accounts, the node agent running the job as LDAP's uid/gid,
 * which exist nowhere on this machine.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OnboardingFlowTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String INVALID = "Batch job submission failed: Invalid account or account/partition combination specified";
    static final Set<String> TERMINAL = Set.of("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY");

    @TempDir
    static Path tmp;

    Slapd slapd;
    Stack stack;
    String submit;
    String identity;
    Path workDir;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void start() throws Exception {
        slapd = Slapd.start(tmp.resolve("slapd"));
        try (LDAPConnection c = slapd.admin()) {
            // Someone is already onboarded, so the account check is on when gildong arrives.
            Slapd.addUser(c, "chulsoo", 2002, 3002, "chulsoo@example.org");
            Slapd.addPosixGroup(c, "physics_lab", 3002, "chulsoo");
        }
        Path mapping = tmp.resolve("mapping.yaml");
        Files.writeString(mapping, """
                accounts: [ai_project, physics]
                defaults: {partition: cpu, qos: normal, shares: 1}
                groups:
                  ai_team: {account: ai_project, shares: 100}
                  physics_lab: {account: physics}
                """);
        // The node agent hands the batch script, in its state folder under the stack's data folder, to uid 2001:
        // every folder above it must be traversable, as /work/main/.sluice is and JUnit's 0700 temp folder is not.
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        workDir = Files.createTempDirectory(Path.of("/tmp"), "sluice-onboarding");
        Files.setPosixFilePermissions(workDir, PosixFilePermissions.fromString("rwxrwxrwx"));
        stack = Stack.up(Files.createDirectories(tmp.resolve("sluice")), Map.of(
                "SLUICE_IDENTITY_LDAP_URL", slapd.url(),
                "SLUICE_IDENTITY_LDAP_BIND_DN", Slapd.READER_DN,
                "SLUICE_IDENTITY_LDAP_BIND_PASSWORD", Slapd.READER_PW,
                "SLUICE_IDENTITY_LDAP_BASE_DN", Slapd.BASE,
                "SLUICE_IDENTITY_MAPPING_FILE", mapping.toString(),
                "SLUICE_IDENTITY_SYNC_INTERVAL", "0s"));
        Properties ep = stack.endpoints();
        submit = ep.getProperty("submit.url");
        identity = ep.getProperty("identity.url");
        assertThat(sync().path("summary").asText()).startsWith("applied");
    }

    @AfterAll
    void stop() {
        if (stack != null) {
            stack.close();
        }
        if (slapd != null) {
            slapd.close();
        }
    }

    @Test
    void gildongIsRefusedThenRunsAsLdapSaysThenLosesTheAccountButKeepsHisRunningJob() throws Exception {
        try (LDAPConnection c = slapd.admin()) {
            Slapd.addUser(c, "gildong", 2001, 3001, "gildong@example.org");
            Slapd.addPosixGroup(c, "ai_team", 3001, "gildong");
        }
        // In LDAP but not synced yet: Slurm's refusal (the check is on: chulsoo's sync reached submit).
        HttpResponse<String> before = awaitStatus("#!/bin/bash\nid\n", 400);
        assertThat(JSON.readTree(before.body()).path("error").asText()).isEqualTo(INVALID);

        JsonNode first = sync();
        assertThat(first.path("applied").asBoolean()).isTrue();
        assertThat(first.path("changes").toString()).contains("gildong").contains("ai_team");

        // After the sync the same job runs, as uid 2001 and gid 3001.
        long job = jobId(awaitStatus("#!/bin/bash\nid\n", 201));
        assertThat(awaitTerminal(job)).isEqualTo("COMPLETED");
        String out = Files.readString(workDir.resolve("slurm-" + job + ".out"));
        assertThat(out).contains("uid=2001").contains("gid=3001");

        // A second sync finds nothing to do.
        assertThat(sync().path("summary").asText()).startsWith("no changes");

        // A long job starts; then gildong leaves ai_team, which also stops being his primary group (100: a group
        // no mapping names, so he holds no account at all).
        long running = jobId(submitAs("#!/bin/bash\nsleep 15\necho still-here\n"));
        await(() -> state(running), s -> s.equals("RUNNING"), "job " + running + " running");
        try (LDAPConnection c = slapd.admin()) {
            c.modify(Slapd.groupDn("ai_team"), new Modification(ModificationType.DELETE, "memberUid", "gildong"));
            c.modify(Slapd.userDn("gildong"), new Modification(ModificationType.REPLACE, "gidNumber", "100"));
        }
        assertThat(sync().path("changes").toString()).contains("gildong");
        HttpResponse<String> after = awaitStatus("#!/bin/bash\nid\n", 400);
        assertThat(JSON.readTree(after.body()).path("error").asText()).isEqualTo(INVALID);
        assertThat(awaitTerminal(running)).isEqualTo("COMPLETED");
        assertThat(Files.readString(workDir.resolve("slurm-" + running + ".out"))).contains("still-here");
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    JsonNode sync() throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(identity + "/api/v1/identity/sync"))
                .timeout(Duration.ofSeconds(120)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    /** What a portal (or sbatch run by gildong) sends: the claimed uid is root's, identity's must win. */
    HttpResponse<String> submitAs(String script) throws IOException, InterruptedException {
        ObjectNode b = JSON.createObjectNode();
        b.put("script", script);
        b.put("workDir", workDir.toString());
        b.put("user", "gildong");
        b.put("uid", 0);
        b.put("gid", 0);
        return http.send(HttpRequest.newBuilder(URI.create(submit + "/api/v1/jobs")).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(b.toString())).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Identity's events reach submit asynchronously: submit until the answer is the expected one. */
    HttpResponse<String> awaitStatus(String script, int status) {
        return await(() -> {
            try {
                return submitAs(script);
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, r -> r.statusCode() == status, "submit answering " + status);
    }

    static long jobId(HttpResponse<String> r) throws IOException {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return JSON.readTree(r.body()).path("jobId").asLong();
    }

    String state(long job) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(submit + "/api/v1/jobs/" + job))
                    .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body()).path("state").asText();
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    String awaitTerminal(long job) {
        String state = await(() -> state(job), TERMINAL::contains, "job " + job + " to finish");
        if (!state.equals("COMPLETED")) {
            System.err.println("job " + job + " ended " + state + "; logs:" + stack.tailLogs());
        }
        return state;
    }

    static <T> T await(java.util.function.Supplier<T> probe, java.util.function.Predicate<T> condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
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
