package dev.sluice.accounting.admin;

import dev.sluice.contracts.Topics;
import dev.sluice.contracts.accounting.AssociationChanged;
import dev.sluice.contracts.accounting.QosChanged;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.infra.SluiceTestInfra;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The seed's sacctmgr session typed against the running service (real PostgreSQL, real Kafka): what it answers,
 * what `show association` then shows, what lands in the tables, and the events scheduler and submit would read.
 */
@QuarkusTest
@QuarkusTestResource(value = SluiceTestInfra.class, restrictToAnnotatedClass = false,
        initArgs = @ResourceArg(name = "database", value = "accounting"))
class SacctmgrApiTest {

    private static JsonPath ok(String... args) {
        return given().contentType(ContentType.JSON).body(Map.of("args", List.of(args)))
                .post("/api/v1/sacctmgr").then().statusCode(200).extract().jsonPath();
    }

    private static String refused(String... args) {
        return given().contentType(ContentType.JSON).body(Map.of("args", List.of(args)))
                .post("/api/v1/sacctmgr").then().statusCode(400).extract().jsonPath().getString("error");
    }

    @Test
    void theSeedSessionSetsLimitsThatShowAssociationShowsAndPublishes() throws Exception {
        String added = ok("add", "account", "ai_project", "Description=AI_Team_Project",
                "Organization=Research_Dept").getString("text");
        assertThat(added).startsWith(" Adding Account(s)\n  ai_project\n Settings\n")
                .contains("  Description     = AI_Team_Project\n", "  Organization    = Research_Dept\n",
                        "  Parent        = root\n");
        assertThat(ok("add", "account", "ai_project", "Description=AI_Team_Project").getString("text"))
                .contains("Already existing account ai_project").endsWith(" Nothing new added.\n");

        assertThat(ok("add", "user", "gildong", "Account=ai_project").getString("text"))
                .startsWith(" Adding User(s)\n  gildong\n").contains("  Default Account = ai_project\n");
        assertThat(ok("add", "user", "gildong", "Account=ai_project").getString("text"))
                .isEqualTo(" Nothing new added.\n");

        assertThat(ok("modify", "user", "gildong", "set", "GrpTRES=gres/gpu=2").getString("text"))
                .startsWith(" Modified user associations...\n").contains("A = ai_project", "U = gildong");
        assertThat(ok("modify", "account", "ai_project", "set", "MaxJobs=10").getString("text"))
                .startsWith(" Modified account associations...\n").contains("A = ai_project");
        ok("modify", "account", "ai_project", "set", "GrpCPURunMins=10000");
        assertThat(ok("add", "qos", "gpu_limit", "MaxTRESPerUser=gres/gpu=4", "MaxJobsPerUser=2", "Priority=100")
                .getString("text")).startsWith(" Adding QOS(s)\n  gpu_limit\n")
                .contains("  Priority       = 100\n", "  MaxJobsPerUser = 2\n", "  MaxTRESPerUser = gres/gpu=4\n");
        ok("modify", "account", "ai_project", "set", "QoS=gpu_limit");
        ok("add", "account", "team_a");
        assertThat(ok("modify", "account", "team_a", "set", "share=100").getString("text"))
                .contains("A = team_a");
        // Setting what is already set changes nothing.
        assertThat(ok("modify", "account", "team_a", "set", "share=100").getString("text"))
                .isEqualTo(" Nothing modified\n");

        JsonPath user = ok("show", "association", "user=gildong", "format=Account,User,Partition,GrpTRES,MaxJobs");
        assertThat(user.getList("rows")).hasSize(1);
        assertThat(user.getString("rows[0].Account")).isEqualTo("ai_project");
        assertThat(user.getString("rows[0].User")).isEqualTo("gildong");
        assertThat(user.getString("rows[0].GrpTRES")).isEqualTo("gres/gpu=2");

        JsonPath account = ok("show", "association", "account=ai_project", "user=");
        assertThat(account.getString("rows[0].MaxJobs")).isEqualTo("10");
        assertThat(account.getString("rows[0].GrpTRESRunMins")).isEqualTo("cpu=10000");
        assertThat(account.getString("rows[0].QOS")).isEqualTo("gpu_limit");
        assertThat(account.getString("rows[0].ParentName")).isEqualTo("root");
        assertThat(given().queryParam("account", "team_a").get("/api/v1/associations").then().statusCode(200)
                .extract().jsonPath().getString("[0].Share")).isEqualTo("100");

        JsonPath qos = given().get("/api/v1/qos").then().statusCode(200).extract().jsonPath();
        assertThat(qos.getList("findAll { it.Name == 'gpu_limit' }.MaxTRESPerUser")).containsExactly("gres/gpu=4");

        try (var db = connect();
             ResultSet r = db.createStatement().executeQuery("""
                     SELECT limits->>'GrpTRES' FROM acct_associations
                     WHERE account = 'ai_project' AND user_name = 'gildong'""")) {
            assertThat(r.next()).isTrue();
            assertThat(r.getString(1)).isEqualTo("gres/gpu=2");
        }

        List<Object> events = accountingEvents();
        assertThat(events).anySatisfy(e -> {
            assertThat(e).isInstanceOf(AssociationChanged.class);
            AssociationChanged a = (AssociationChanged) e;
            assertThat(a.user()).isEqualTo("gildong");
            assertThat(a.limits()).containsEntry("GrpTRES", "gres/gpu=2");
            assertThat(a.defaultAccount()).isEqualTo("ai_project");
        });
        assertThat(events).anySatisfy(e -> {
            assertThat(e).isInstanceOf(AssociationChanged.class);
            AssociationChanged a = (AssociationChanged) e;
            assertThat(a.user()).isNull();
            assertThat(a.account()).isEqualTo("ai_project");
            assertThat(a.qos()).containsExactly("gpu_limit");
            assertThat(a.limits()).containsEntry("MaxJobs", "10").containsEntry("GrpTRESRunMins", "cpu=10000");
        });
        assertThat(events).anySatisfy(e -> {
            assertThat(e).isInstanceOf(QosChanged.class);
            QosChanged q = (QosChanged) e;
            assertThat(q.name()).isEqualTo("gpu_limit");
            assertThat(q.priority()).isEqualTo(100);
            assertThat(q.limits()).containsEntry("MaxJobsPerUser", "2");
        });
    }

    @Test
    void badInputIsRefusedInSlurmsWordsAndChangesNothing() {
        ok("add", "account", "lab_b");
        assertThat(refused("add", "user", "kim", "Account=no_such_account"))
                .contains("This account 'no_such_account' doesn't exist");
        assertThat(refused("modify", "account", "lab_b", "set", "MaxJobs=ten")).contains("Bad MaxJobs value: ten");
        assertThat(refused("modify", "account", "lab_b", "set", "GrpTRES=gpux=2"))
                .contains("Invalid TRES specification: gpux=2");
        assertThat(refused("modify", "account", "lab_b", "set", "QoS=nope")).contains("Invalid qos name: nope");
        assertThat(refused("add", "user", "kim")).contains("Need a default account");
        assertThat(ok("show", "user", "kim").getList("rows")).isEmpty();

        ok("add", "user", "kim", "Account=lab_b");
        assertThat(ok("delete", "user", "kim").getString("text")).isEqualTo(" Deleting users...\n  kim\n");
        assertThat(ok("show", "association", "user=kim").getList("rows")).isEmpty();
        assertThat(ok("delete", "user", "kim").getString("text")).isEqualTo(" Nothing deleted\n");
    }

    private static java.sql.Connection connect() throws java.sql.SQLException {
        var cfg = ConfigProvider.getConfig();
        return DriverManager.getConnection(cfg.getValue("quarkus.datasource.jdbc.url", String.class),
                cfg.getValue("quarkus.datasource.username", String.class),
                cfg.getValue("quarkus.datasource.password", String.class));
    }

    private static List<Object> accountingEvents() {
        var settings = KafkaSettings.consumer(SluiceTestInfra.bootstrapServers, "test-" + UUID.randomUUID(), "test");
        settings.put("auto.offset.reset", "earliest");
        List<Object> out = new ArrayList<>();
        try (var consumer = new KafkaConsumer<String, byte[]>(settings)) {
            consumer.subscribe(List.of(Topics.ACCOUNTING_EVENTS));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            int empty = 0;
            while (System.nanoTime() < deadline && empty < 3) {
                var records = consumer.poll(Duration.ofSeconds(1));
                if (records.isEmpty() && !out.isEmpty()) {
                    empty++;
                }
                for (ConsumerRecord<String, byte[]> r : records) {
                    KafkaCloudEvents.fromRecord(r).ifPresent(ce -> out.add(ce.data()));
                }
            }
        }
        return out;
    }
}
