package dev.sluice.identity.sync;

import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import dev.sluice.contracts.Event;
import dev.sluice.contracts.cloudevents.CloudEvent;
import dev.sluice.contracts.identity.AccountAssociation;
import dev.sluice.contracts.identity.GroupUpserted;
import dev.sluice.contracts.identity.UserRemoved;
import dev.sluice.contracts.identity.UserUpserted;
import dev.sluice.identity.ldap.LdapReader;
import dev.sluice.identity.ldap.LdapSettings;
import dev.sluice.infra.ldap.Slapd;
import dev.sluice.identity.mapping.MappingFormat;
import dev.sluice.identity.state.PublishedStateLoader;
import dev.sluice.infra.SluiceTestInfra;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.nullValue;

/**
 * The sync end to end: a real slapd, the identity service, a real Kafka broker. Each step builds on the
 * directory the previous one left, as an administrator's day would.
 */
@QuarkusTest
@QuarkusTestResource(value = SluiceTestInfra.class, restrictToAnnotatedClass = false,
        initArgs = @ResourceArg(name = "postgres", value = "false"))
@QuarkusTestResource(value = SlapdTestResource.class, restrictToAnnotatedClass = false)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LdapSyncTest {

    private static List<CloudEvent<Event>> events() {
        return IdentityTopic.readAll(SluiceTestInfra.bootstrapServers);
    }

    private static JsonPath sync(boolean dryRun, int status) {
        return given().queryParam("dryRun", dryRun).post("/api/v1/identity/sync").then().statusCode(status)
                .extract().jsonPath();
    }

    private static UserUpserted latestUser(List<CloudEvent<Event>> events, String name) {
        return IdentityTopic.ofType(events, UserUpserted.class).stream().filter(u -> u.user().equals(name))
                .reduce((a, b) -> b).orElseThrow();
    }

    @Test
    @Order(1)
    void beforeTheFirstSyncIdentityKnowsNobodyAndNamesItsDirectory() {
        given().get("/api/v1/identity/status").then().statusCode(200)
                .body("users", equalTo(0)).body("groups", equalTo(0)).body("lastSync", nullValue())
                .body("ldap", equalTo(SlapdTestResource.slapd.url()));
        given().get("/api/v1/identity/sync").then().statusCode(404);
        given().get("/api/v1/identity/users/gildong").then().statusCode(404)
                .body("error", equalTo("Invalid user: gildong"));
    }

    @Test
    @Order(2)
    void theFirstSyncPublishesGildongWithHisIdsAndTheMappedAccountInOneTransaction() {
        JsonPath r = sync(false, 200);
        assertThat(r.getBoolean("applied")).isTrue();
        assertThat(r.getList("changes", String.class)).contains(
                "add user gildong (uid 2001, gid 3001, groups ai_team, accounts "
                        + "ai_project[partition=gpu,qos=normal,shares=100])",
                "add user chulsoo (uid 2002, gid 100, groups users, accounts physics[partition=cpu,shares=1])",
                "add group ai_team (gid 3001, members gildong)");

        List<CloudEvent<Event>> events = events();
        UserUpserted gildong = latestUser(events, "gildong");
        assertThat(gildong.uid()).isEqualTo(2001);
        assertThat(gildong.gid()).isEqualTo(3001);
        assertThat(gildong.groups()).containsExactly("ai_team");
        assertThat(gildong.accounts()).containsExactly(new AccountAssociation("ai_project", "gpu", "normal", 100));
        assertThat(gildong.email()).isEqualTo("gildong@example.org");
        assertThat(gildong.loginShell()).isEqualTo("/bin/bash");
        // chulsoo's account comes from a groupOfNames (member DNs), which has no gid and so is not published
        assertThat(latestUser(events, "chulsoo").accounts())
                .containsExactly(new AccountAssociation("physics", "cpu", null, 1));
        assertThat(IdentityTopic.ofType(events, GroupUpserted.class)).extracting(GroupUpserted::group)
                .containsExactlyInAnyOrder("ai_team", "users");
        assertThat(events).hasSize(r.getInt("changeCount"));
        assertThat(events).extracting(e -> e.id().substring(0, e.id().indexOf('/'))).containsOnly(r.getString("runId"));
        assertThat(events).extracting(CloudEvent::source).containsOnly("sluice/identity");

        given().get("/api/v1/identity/status").then().statusCode(200).body("users", equalTo(2))
                .body("groups", equalTo(2)).body("lastSync", equalTo(r.getString("finishedAt")));
        given().get("/api/v1/identity/users/gildong").then().statusCode(200).body("uid", equalTo(2001))
                .body("accounts[0].account", equalTo("ai_project"));
    }

    @Test
    @Order(3)
    void aSecondSyncWithNothingChangedSaysSoAndPublishesNothingEvenAfterARestart() throws Exception {
        int before = events().size();
        JsonPath r = sync(false, 200);
        assertThat(r.getBoolean("applied")).isFalse();
        assertThat(r.getInt("changeCount")).isZero();
        assertThat(r.getString("summary")).isEqualTo("no changes: Sluice already has what LDAP has (2 users, 2 groups)");
        assertThat(events()).hasSize(before);

        // a restarted identity rebuilds from the topic alone and still finds nothing to do
        var rebuilt = PublishedStateLoader.load(SluiceTestInfra.bootstrapServers);
        var restarted = new SyncEngine(new LdapReader(settings()), this::mapping, null, rebuilt, Clock.systemUTC());
        assertThat(restarted.run(true).changeCount()).isZero();
    }

    @Test
    @Order(4)
    void removingGildongFromAiTeamPublishesHimWithoutTheAccountAndKeepsHistory() throws Exception {
        int before = events().size();
        try (LDAPConnection c = SlapdTestResource.slapd.admin()) {
            // out of ai_team the Unix way: no longer listed, and a different primary group
            c.modify(Slapd.groupDn("ai_team"), new Modification(ModificationType.DELETE, "memberUid", "gildong"));
            c.modify(Slapd.userDn("gildong"), new Modification(ModificationType.REPLACE, "gidNumber", "100"));
        }
        JsonPath r = sync(false, 200);
        assertThat(r.getList("changes", String.class)).containsExactly(
                "update group ai_team: members gildong -> (none)",
                "update group users: members chulsoo -> chulsoo,gildong",
                "update user gildong: gid 3001 -> 100; groups ai_team -> users; "
                        + "accounts ai_project[partition=gpu,qos=normal,shares=100] -> (none)");
        List<CloudEvent<Event>> events = events();
        assertThat(events).hasSize(before + 3);
        UserUpserted gildong = latestUser(events, "gildong");
        assertThat(gildong.accounts()).isEmpty();
        assertThat(gildong.gid()).isEqualTo(100);
        assertThat(IdentityTopic.ofType(events, UserUpserted.class).stream()
                .filter(u -> u.user().equals("gildong")).count()).isEqualTo(2);
    }

    @Test
    @Order(5)
    void aUserDeletedFromLdapIsRemoved() throws Exception {
        try (LDAPConnection c = SlapdTestResource.slapd.admin()) {
            c.delete(Slapd.userDn("chulsoo"));
        }
        JsonPath r = sync(false, 200);
        assertThat(r.getList("changes", String.class)).containsExactly(
                "update group users: members chulsoo,gildong -> gildong", "remove user chulsoo");
        assertThat(IdentityTopic.ofType(events(), UserRemoved.class)).extracting(UserRemoved::user)
                .containsExactly("chulsoo");
        given().get("/api/v1/identity/users/chulsoo").then().statusCode(404);
    }

    @Test
    @Order(6)
    void aDryRunListsExactlyTheTenChangesAndPublishesNothing() throws Exception {
        List<String> expected = new ArrayList<>();
        try (LDAPConnection c = SlapdTestResource.slapd.admin()) {
            for (int i = 1; i <= 6; i++) {
                Slapd.addUser(c, "new" + i, 4000 + i, 5000, "new" + i + "@example.org");
                expected.add("add user new" + i + " (uid " + (4000 + i) + ", gid 5000, groups (none), accounts (none))");
            }
            for (int i = 1; i <= 3; i++) {
                Slapd.addPosixGroup(c, "empty" + i, 6000 + i);
                expected.add("add group empty" + i + " (gid " + (6000 + i) + ", members (none))");
            }
            c.modify(Slapd.userDn("gildong"), new Modification(ModificationType.REPLACE, "mail", "hong@example.org"));
            expected.add("update user gildong: mail gildong@example.org -> hong@example.org");
        }
        int before = events().size();
        JsonPath dry = sync(true, 200);
        assertThat(dry.getBoolean("dryRun")).isTrue();
        assertThat(dry.getBoolean("applied")).isFalse();
        assertThat(dry.getInt("changeCount")).isEqualTo(10);
        assertThat(dry.getList("changes", String.class)).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(dry.getString("summary")).startsWith("dry run: 10 changes would be applied");
        assertThat(events()).hasSize(before);

        JsonPath real = sync(false, 200);
        assertThat(real.getList("changes", String.class)).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(events()).hasSize(before + 10);
    }

    @Test
    @Order(7)
    void twoUsersWithOneUidNumberAreReportedAndNothingIsPublished() throws Exception {
        try (LDAPConnection c = SlapdTestResource.slapd.admin()) {
            c.modify(Slapd.userDn("gildong"), new Modification(ModificationType.REPLACE, "loginShell", "/bin/zsh"));
            Slapd.addUser(c, "imposter", 2001, 100, "imposter@example.org");
        }
        int before = events().size();
        for (boolean dryRun : new boolean[]{true, false}) {
            given().queryParam("dryRun", dryRun).post("/api/v1/identity/sync").then().statusCode(422)
                    .body("error", equalTo("sync refused, nothing applied: 1 problem in the directory or the mapping"))
                    .body("problems", hasItem("uidNumber 2001 is held by 2 users: gildong (" + dn("gildong")
                            + "), imposter (" + dn("imposter") + ")"));
        }
        // the valid change (gildong's shell) waits with the rest: nothing half-applied
        assertThat(events()).hasSize(before);
        try (LDAPConnection c = SlapdTestResource.slapd.admin()) {
            c.delete(Slapd.userDn("imposter"));
        }
        assertThat(sync(false, 200).getList("changes", String.class))
                .containsExactly("update user gildong: shell /bin/bash -> /bin/zsh");
    }

    @Test
    @Order(8)
    void aGroupMappedToAnUndeclaredAccountIsReportedAndNothingIsPublished() throws Exception {
        String bad = SlapdTestResource.MAPPING.replace("account: physics}", "account: physiks}");
        given().contentType("application/yaml").body(bad.getBytes(StandardCharsets.UTF_8))
                .put("/api/v1/identity/mapping").then().statusCode(400)
                .body("error", equalTo("mapping refused: group physics_lab is mapped to account physiks, which "
                        + "the mapping does not declare (accounts: ai_project, physics)"));
        assertThat(Files.readString(SlapdTestResource.mappingFile)).isEqualTo(SlapdTestResource.MAPPING);

        // the same mistake made by editing the file by hand is caught by the sync
        Files.writeString(SlapdTestResource.mappingFile, bad);
        try (LDAPConnection c = SlapdTestResource.slapd.admin()) {
            c.modify(Slapd.groupDn("ai_team"), new Modification(ModificationType.ADD, "memberUid", "gildong"));
        }
        int before = events().size();
        given().post("/api/v1/identity/sync").then().statusCode(422)
                .body("problems", hasItem("group physics_lab is mapped to account physiks, which the mapping "
                        + "does not declare (accounts: ai_project, physics)"));
        assertThat(events()).hasSize(before);
        Files.writeString(SlapdTestResource.mappingFile, SlapdTestResource.MAPPING);
        assertThat(sync(false, 200).getList("changes", String.class)).hasSize(2);
        assertThat(latestUser(events(), "gildong").accounts()).extracting(AccountAssociation::account)
                .containsExactly("ai_project");
    }

    @Test
    @Order(9)
    void aPerUserOverrideSetOverRestChangesThatUsersAssociation() {
        String withOverride = SlapdTestResource.MAPPING + "users:\n  gildong: [{account: ai_project, shares: 250},"
                + " {account: physics}]\n";
        given().contentType(ContentType.JSON).body(Map.of("accounts", List.of("x y"))).put("/api/v1/identity/mapping")
                .then().statusCode(400).body("error", containsString("not a valid name"));
        given().contentType("application/yaml").body(withOverride.getBytes(StandardCharsets.UTF_8))
                .put("/api/v1/identity/mapping").then()
                .statusCode(200);
        given().get("/api/v1/identity/mapping").then().statusCode(200)
                .body("users.gildong[0].shares", equalTo(250));
        sync(false, 200);
        assertThat(latestUser(events(), "gildong").accounts()).containsExactly(
                new AccountAssociation("ai_project", "gpu", "normal", 250),
                new AccountAssociation("physics", "cpu", null, 1));
    }

    @Test
    @Order(10)
    void anUnreachableServerIsReportedAndNothingIsPublished() throws Exception {
        int before = events().size();
        SlapdTestResource.slapd.stop();
        try {
            given().post("/api/v1/identity/sync").then().statusCode(503)
                    .body("error", containsString("LDAP server " + SlapdTestResource.slapd.url() + " is unreachable"))
                    .body("error", containsString("nothing applied"));
            assertThat(events()).hasSize(before);
            given().get("/api/v1/identity/users/gildong").then().statusCode(200);
        } finally {
            SlapdTestResource.slapd.restart();
        }
        assertThat(sync(false, 200).getString("summary")).startsWith("no changes");
    }

    @Test
    @Order(11)
    void theBindPasswordAppearsInNoAnswer() {
        Set<String> answers = Set.of("/api/v1/identity/status", "/api/v1/identity/sync", "/api/v1/identity/mapping")
                .stream().map(p -> given().get(p).then().extract().asString()).collect(Collectors.toSet());
        assertThat(answers).noneMatch(a -> a.contains(Slapd.READER_PW));
        assertThat(settings().toString()).doesNotContain(Slapd.READER_PW);
    }

    private static String dn(String user) {
        return LdapReader.normalize(Slapd.userDn(user));
    }

    private static LdapSettings settings() {
        return LdapSettings.simple(SlapdTestResource.slapd.url(), Slapd.BASE, Slapd.READER_DN, Slapd.READER_PW);
    }

    private dev.sluice.identity.mapping.AccountMapping mapping() {
        try {
            return MappingFormat.parse(Files.readString(SlapdTestResource.mappingFile));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
