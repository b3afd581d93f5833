package dev.sluice.identity.unit;

import com.unboundid.ldap.sdk.LDAPConnection;
import dev.sluice.identity.ldap.DirectorySnapshot;
import dev.sluice.identity.ldap.LdapReader;
import dev.sluice.identity.ldap.LdapSettings;
import dev.sluice.identity.ldap.LdapUnavailableException;
import dev.sluice.infra.ldap.Slapd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The LDAP reader against a real slapd: paging past the size limit, groupOfNames members, bind failures. */
class PagedReadTest {
    static Slapd slapd;

    @BeforeAll
    static void start() throws Exception {
        slapd = Slapd.start(Files.createTempDirectory("identity-paged"));
        try (LDAPConnection c = slapd.admin()) {
            for (int i = 0; i < 1200; i++) {
                Slapd.addUser(c, "user" + i, 10_000 + i, 100, "user" + i + "@example.org");
            }
            c.add("dn: " + Slapd.groupDn("lab"), "objectClass: groupOfNames", "cn: lab",
                    "member: " + Slapd.userDn("user7").toUpperCase(), "member: " + Slapd.userDn("user8"));
        }
    }

    @AfterAll
    static void stop() {
        slapd.close();
    }

    @Test
    void readsTheWholeDirectoryPastTheServersSizeLimitPageByPage() throws Exception {
        DirectorySnapshot d = new LdapReader(LdapSettings.simple(slapd.url(), Slapd.BASE, Slapd.READER_DN,
                Slapd.READER_PW)).read();
        assertThat(d.users()).hasSize(1200);
        assertThat(d.users()).filteredOn(u -> u.name().equals("user1199")).singleElement()
                .satisfies(u -> {
                    assertThat(u.uid()).isEqualTo(11_199);
                    assertThat(u.gid()).isEqualTo(100);
                    assertThat(u.email()).isEqualTo("user1199@example.org");
                    assertThat(u.loginShell()).isEqualTo("/bin/bash");
                });
        assertThat(d.groups()).singleElement().satisfies(g -> {
            assertThat(g.gid()).isNull();
            // member DNs in any case match the users' DNs
            assertThat(g.memberDns()).containsExactlyInAnyOrder(LdapReader.normalize(Slapd.userDn("user7")),
                    LdapReader.normalize(Slapd.userDn("user8")));
        });
    }

    @Test
    void withoutPagingTheServerWouldHaveStoppedAt500() {
        try (LDAPConnection c = new LDAPConnection("127.0.0.1", slapd.port())) {
            c.bind(Slapd.READER_DN, Slapd.READER_PW);
            assertThatThrownBy(() -> c.search(Slapd.BASE, com.unboundid.ldap.sdk.SearchScope.SUB,
                    "(objectClass=posixAccount)", "uid"))
                    .hasMessageContaining("size limit");
        } catch (com.unboundid.ldap.sdk.LDAPException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aWrongPasswordIsReportedWithoutThePassword() {
        assertThatThrownBy(() -> new LdapReader(LdapSettings.simple(slapd.url(), Slapd.BASE, Slapd.READER_DN,
                "wrong-password-xyz")).read())
                .isInstanceOf(LdapUnavailableException.class)
                .hasMessageContaining("LDAP bind as " + Slapd.READER_DN)
                .hasMessageContaining("invalid credentials")
                .hasMessageNotContaining("wrong-password-xyz");
    }
}
