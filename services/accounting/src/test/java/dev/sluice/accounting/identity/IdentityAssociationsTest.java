package dev.sluice.accounting.identity;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.identity.AccountAssociation;
import dev.sluice.contracts.identity.UserRemoved;
import dev.sluice.contracts.identity.UserUpserted;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.infra.SluiceTestInfra;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The LDAP sync's user events become accounting's users and associations, as the seed's onboarding wants ("OS
 * account + Slurm user" in one step): through a real broker into the running service and its PostgreSQL.
 */
@QuarkusTest
@QuarkusTestResource(value = SluiceTestInfra.class, restrictToAnnotatedClass = false,
        initArgs = @ResourceArg(name = "database", value = "accounting"))
class IdentityAssociationsTest {

    private static JsonPath show(String... args) {
        return given().contentType(ContentType.JSON).body(Map.of("args", List.of(args)))
                .post("/api/v1/sacctmgr").then().statusCode(200).extract().jsonPath();
    }

    private static JsonPath assocs() {
        return show("show", "association", "user=ldapuser1", "format=Account,User,Share");
    }

    private static void publish(Event... events) throws Exception {
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(
                KafkaSettings.producer(SluiceTestInfra.bootstrapServers, "identity-test"))) {
            for (Event e : events) {
                p.send(KafkaCloudEvents.toRecord("/sluice/identity", e)).get();
            }
        }
    }

    private static JsonPath await(String what, Predicate<JsonPath> done) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonPath last = assocs();
        while (!done.test(last)) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what + "; last: " + last.prettify());
            }
            Thread.sleep(200);
            last = assocs();
        }
        return last;
    }

    private static UserUpserted user(List<AccountAssociation> accounts) {
        return new UserUpserted("ldapuser1", 2101, 3101, List.of("ldap_grp"), "LDAP User", null, "/bin/bash",
                accounts, Instant.now());
    }

    @Test
    void aSyncedUserGetsExactlyTheMappedAssociationsAndLosesThemWhenUnmapped() throws Exception {
        AccountAssociation team = new AccountAssociation("ldap_team", null, null, 7);
        publish(user(List.of(team)));
        JsonPath added = await("the mapped association", j -> j.getList("rows").size() == 1);
        assertThat(added.getString("rows[0].Account")).isEqualTo("ldap_team");
        assertThat(added.getString("rows[0].User")).isEqualTo("ldapuser1");
        assertThat(show("show", "account", "ldap_team").getList("rows")).hasSize(1);

        // the same user again (a second sync, a replay): nothing changes; new shares are taken over
        publish(user(List.of(team)), user(List.of(new AccountAssociation("ldap_team", null, null, 9))));
        await("the new shares", j -> j.getList("rows").size() == 1
                && "9".equals(j.getString("rows[0].Share")));

        // removed from the mapped group: the association goes, the user and its history stay
        publish(user(List.of()));
        await("no association", j -> j.getList("rows").isEmpty());

        // removed from LDAP: the user goes too
        publish(user(List.of(team)));
        await("the association back", j -> j.getList("rows").size() == 1);
        publish(new UserRemoved("ldapuser1", Instant.now()));
        await("the user removed", j -> j.getList("rows").isEmpty());
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!show("show", "user", "ldapuser1").getList("rows").isEmpty() && System.nanoTime() < end) {
            Thread.sleep(200);
        }
        assertThat(show("show", "user", "ldapuser1").getList("rows")).isEmpty();
    }
}
