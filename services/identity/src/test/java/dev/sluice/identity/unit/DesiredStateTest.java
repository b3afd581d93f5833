package dev.sluice.identity.unit;

import dev.sluice.contracts.identity.AccountAssociation;
import dev.sluice.identity.ldap.DirectorySnapshot;
import dev.sluice.identity.ldap.DirectorySnapshot.LdapGroup;
import dev.sluice.identity.ldap.DirectorySnapshot.LdapUser;
import dev.sluice.identity.mapping.MappingFormat;
import dev.sluice.identity.sync.DesiredState;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Directory shapes that slapd's test data does not cover: AD-style groups, odd attribute values, overrides. */
class DesiredStateTest {
    private static final String MAPPING = """
            accounts: [ai_project, physics]
            groups:
              "GPU Users": {account: ai_project, partition: gpu}
              physics_lab: [{account: physics}, {account: ai_project, shares: 5}]
            """;

    private static LdapUser user(String name, int uid, String mail, String shell) {
        return new LdapUser("uid=" + name + ",ou=people,dc=x", name, uid, 100, name, mail, shell);
    }

    @Test
    void anAdGroupWithoutGidOrUnixNameStillGivesItsAccountButIsNotPublished() {
        var dir = new DirectorySnapshot(List.of(user("gildong", 2001, "g@example.org", "/bin/bash")),
                List.of(new LdapGroup("cn=gpu users,dc=x", "GPU Users", null, Set.of(),
                        Set.of("uid=gildong,ou=people,dc=x"))));
        DesiredState d = DesiredState.compute(dir, MappingFormat.parse(MAPPING));
        assertThat(d.problems()).isEmpty();
        assertThat(d.state().groups()).isEmpty();
        assertThat(d.state().users().get("gildong").groups()).isEmpty();
        assertThat(d.state().users().get("gildong").accounts())
                .containsExactly(new AccountAssociation("ai_project", "gpu", null, 1));
    }

    @Test
    void accountsFollowTheDeclaredOrderAndTheFirstGroupGivingAnAccountWins() {
        var dir = new DirectorySnapshot(List.of(user("gildong", 2001, null, null)), List.of(
                new LdapGroup("cn=gpu,dc=x", "GPU Users", null, Set.of(), Set.of("uid=gildong,ou=people,dc=x")),
                new LdapGroup("cn=physics_lab,dc=x", "physics_lab", 4000, Set.of("gildong"), Set.of())));
        var accounts = DesiredState.compute(dir, MappingFormat.parse(MAPPING)).state().users().get("gildong")
                .accounts();
        assertThat(accounts).containsExactly(new AccountAssociation("ai_project", "gpu", null, 1),
                new AccountAssociation("physics", null, null, 1));
    }

    @Test
    void valuesTheContractWouldRejectAreLeftOutWithAWarningOrRefuseTheSync() {
        var dir = new DirectorySnapshot(List.of(user("gildong", 2001, "not mail", "bash"),
                user("hong gil", 2002, null, null), new LdapUser("uid=x,dc=x", "nouid", null, 100, null, null, null)),
                List.of(new LdapGroup("cn=Domain Admins,dc=x", "Domain Admins", 512, Set.of(), Set.of())));
        DesiredState d = DesiredState.compute(dir, MappingFormat.parse(MAPPING));
        assertThat(d.warnings()).contains("user gildong: mail 'not mail' is not an e-mail address, left out",
                "user gildong: loginShell 'bash' is not an absolute path, left out");
        assertThat(d.problems()).containsExactlyInAnyOrder(
                "user name 'hong gil' (uid=hong gil,ou=people,dc=x) contains white space or ':'",
                "user nouid (uid=x,dc=x) has no valid uidNumber and gidNumber",
                "group name 'Domain Admins' (cn=Domain Admins,dc=x) has a gidNumber but contains white space or ':'");
    }
}
