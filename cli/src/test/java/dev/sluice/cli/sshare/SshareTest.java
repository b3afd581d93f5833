package dev.sluice.cli.sshare;

import dev.sluice.cli.Harness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

class SshareTest {
    static final String TREE = """
            {"cluster": "sluice", "fairTree": true, "lines": [
              {"account": "root", "user": "", "level": 0, "rawShares": null, "normShares": 1.0, "rawUsage": 900,
               "normUsage": 1.0, "effectvUsage": 1.0, "fairShare": null, "levelFs": null},
              {"account": "acctA", "user": "", "level": 1, "rawShares": 40, "normShares": 0.4, "rawUsage": 400,
               "normUsage": 0.444444, "effectvUsage": 0.444444, "fairShare": null, "levelFs": 0.9},
              {"account": "acctA", "user": "alice", "level": 2, "rawShares": 1, "normShares": 0.5,
               "rawUsage": 300, "normUsage": 0.333333, "effectvUsage": 0.75, "fairShare": 0.333333,
               "levelFs": 0.666667, "grpTresMins": "cpu=1000", "tresRunMins": "cpu=120,mem=122880,node=1"},
              {"account": "acctB", "user": "", "level": 1, "rawShares": 60, "normShares": 0.6, "rawUsage": 0,
               "normUsage": 0.0, "effectvUsage": 0.0, "fairShare": null, "levelFs": "Infinity"}]}""";

    Harness h;

    @BeforeEach
    void start() throws IOException {
        h = new Harness();
    }

    @AfterEach
    void stop() {
        h.close();
    }

    @Test
    void showsTheTreeWithTheCallersLinesLikeSlurm() {
        h.answer(200, TREE);
        Harness.Result r = h.run("sshare");
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(String.join("\n",
                "             Account       User  RawShares  NormShares    RawUsage  EffectvUsage  FairShare ",
                "-------------------- ---------- ---------- ----------- ----------- ------------- ---------- ",
                "root                                          1.000000         900      1.000000            ",
                " acctA                                  40    0.400000         400      0.444444            ",
                "  acctA                   alice          1    0.500000         300      0.750000   0.333333 ",
                " acctB                                  60    0.600000           0      0.000000            ",
                ""));
        // without -a or -u only the caller's user lines are asked for
        assertThat(h.requestList()).singleElement().satisfies(q -> assertThat(q.pathAndQuery())
                .isEqualTo("/api/v1/sshare?users=alice"));
    }

    @Test
    void longParsableAllAndAccounts() {
        h.answer(200, TREE);
        Harness.Result r = h.run("sshare", "-a", "-l", "-P", "-A", "acctA,acctB");
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(String.join("\n",
                "Account|User|RawShares|NormShares|RawUsage|NormUsage|EffectvUsage|FairShare|LevelFS|GrpTRESMins|"
                        + "TRESRunMins",
                "root|||1.000000|900|1.000000|1.000000||||",
                "acctA||40|0.400000|400|0.444444|0.444444||0.900000||",
                "acctA|alice|1|0.500000|300|0.333333|0.750000|0.333333|0.666667|cpu=1000|cpu=120,mem=122880,node=1",
                "acctB||60|0.600000|0|0.000000|0.000000||inf||",
                ""));
        assertThat(h.requestList()).singleElement().satisfies(q -> assertThat(q.pathAndQuery())
                .isEqualTo("/api/v1/sshare?accounts=acctA%2CacctB"));
    }

    @Test
    void formatTakesSlurmsPrefixesAndWidths() {
        h.answer(200, TREE);
        Harness.Result r = h.run("sshare", "-a", "-o", "acc,user%6,fairs,GrpTRESMins%12,Cluster");
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(String.join("\n",
                "             Account   User  FairShare  GrpTRESMins    Cluster ",
                "-------------------- ------ ---------- ------------ ---------- ",
                "root                                                    sluice ",
                " acctA                                                  sluice ",
                "  acctA               alice   0.333333     cpu=1000     sluice ",
                " acctB                                                  sluice ",
                ""));
        Harness.Result bad = h.run("sshare", "--format=Account,Bogus");
        assertThat(bad.rc()).isEqualTo(1);
        assertThat(bad.err()).contains("Invalid field requested: \"Bogus\"");
    }

    @Test
    void partitionColumnAndUsersOnly() {
        h.answer(200, TREE);
        Harness.Result r = h.run("sshare", "-a", "-m", "-U", "-P");
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(String.join("\n",
                "Account|User|Partition|RawShares|NormShares|RawUsage|EffectvUsage|FairShare",
                "acctA|alice||1|0.500000|300|0.750000|0.333333",
                ""));
    }

    @Test
    void usersAndNoHeader() {
        h.answer(200, TREE);
        Harness.Result r = h.run("sshare", "-n", "-p", "-u", "bob");
        assertThat(r.out()).startsWith("root|||1.000000|900|1.000000||\n");
        assertThat(h.requestList()).singleElement().satisfies(q -> assertThat(q.pathAndQuery())
                .isEqualTo("/api/v1/sshare?users=bob"));
    }
}
