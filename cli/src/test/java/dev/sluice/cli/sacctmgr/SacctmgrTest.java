package dev.sluice.cli.sacctmgr;

import dev.sluice.cli.Harness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

class SacctmgrTest {
    static final String ASSOCS = """
            {"text": "", "changed": false, "rows": [
              {"Cluster": "sluice", "Account": "ai_project", "User": "gildong", "Partition": "", "Share": "1",
               "GrpTRES": "gres/gpu=2", "QOS": "normal", "DefaultQOS": ""},
              {"Cluster": "sluice", "Account": "research_department_x", "User": "gildong", "Partition": "gpu",
               "Share": "1", "MaxJobs": "10", "GrpTRES": "cpu=64,gres/gpu=16", "QOS": "normal"}
            ]}""";

    Harness h;

    @BeforeEach
    void start() throws IOException {
        h = new Harness();
    }

    @AfterEach
    void stop() {
        h.close();
    }

    private static String lines(String... l) {
        return String.join("\n", l) + "\n";
    }

    @Test
    void showAssociationWithFormatPrintsSlurmColumnsAndSendsTheWordsAsTyped() {
        h.answer(200, ASSOCS);
        Harness.Result r = h.run("sacctmgr", "show", "association", "user=gildong",
                "format=Account,User,Partition,GrpTRES,MaxJobs");
        assertThat(r.rc()).isZero();
        assertThat(r.out()).isEqualTo(lines(
                "   Account       User  Partition       GrpTRES MaxJobs ",
                "---------- ---------- ---------- ------------- ------- ",
                "ai_project    gildong               gres/gpu=2         ",
                "research_+    gildong        gpu cpu=64,gres/+      10 "));
        assertThat(h.requestList()).singleElement().satisfies(q -> {
            assertThat(q.method()).isEqualTo("POST");
            assertThat(q.pathAndQuery()).isEqualTo("/api/v1/sacctmgr");
            assertThat(q.body()).isEqualTo("{\"args\":[\"show\",\"association\",\"user=gildong\","
                    + "\"format=Account,User,Partition,GrpTRES,MaxJobs\"]}");
        });
    }

    @Test
    void parsableAndNoHeaderOptionsAndWidthsInFormat() {
        h.answer(200, ASSOCS);
        assertThat(h.run("sacctmgr", "-n", "-P", "show", "assoc", "format=Account,GrpTRES").out())
                .isEqualTo(lines("ai_project|gres/gpu=2", "research_department_x|cpu=64,gres/gpu=16"));
        assertThat(h.run("sacctmgr", "-p", "list", "assoc", "format=account,maxjobs").out())
                .isEqualTo(lines("Account|MaxJobs|", "ai_project||", "research_department_x|10|"));
        assertThat(h.run("sacctmgr", "-n", "show", "assoc", "format=Account%25").out())
                .isEqualTo(lines("               ai_project ", "    research_department_x "));
    }

    @Test
    void changesPrintTheServicesTextAndMinusIIsAccepted() {
        h.answer(200, "{\"text\": \" Modified user associations...\\n  C = sluice     A = ai_project"
                + "           U = gildong  \\n\", \"rows\": [], \"changed\": true}");
        Harness.Result r = h.run("sacctmgr", "-i", "modify", "user", "gildong", "set", "GrpTRES=gres/gpu=2");
        assertThat(r.rc()).isZero();
        assertThat(r.out()).isEqualTo(
                " Modified user associations...\n  C = sluice     A = ai_project           U = gildong  \n");
        assertThat(h.requestList()).singleElement().satisfies(q -> assertThat(q.body())
                .isEqualTo("{\"args\":[\"modify\",\"user\",\"gildong\",\"set\",\"GrpTRES=gres/gpu=2\"]}"));
    }

    @Test
    void aRefusalIsPrintedOnStderrWithExitOne() {
        h.answer(400, "{\"error\": \" Bad MaxJobs value: ten\"}");
        Harness.Result r = h.run("sacctmgr", "modify", "account", "x", "set", "MaxJobs=ten");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).isEqualTo(" Bad MaxJobs value: ten\n");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void anUnknownFormatFieldIsRefused() {
        h.answer(200, ASSOCS);
        Harness.Result r = h.run("sacctmgr", "show", "assoc", "format=Account,Bogus");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).contains("Unknown field 'Bogus'");
    }

    @Test
    void noServiceIsSaidInSlurmsWords() throws IOException {
        Harness.Result r = h.run(Harness.nobodyListening(), "sacctmgr", "show", "assoc");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).contains("Problem talking to the database");
    }
}
