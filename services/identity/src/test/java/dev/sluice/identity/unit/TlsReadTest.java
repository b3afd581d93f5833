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
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** StartTLS and LDAPS against a real slapd with a self-signed certificate for 127.0.0.1. */
class TlsReadTest {
    static Slapd slapd;
    static Path trustStore;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("identity-tls");
        slapd = Slapd.start(dir.resolve("slapd"), true);
        try (LDAPConnection c = slapd.admin()) {
            Slapd.addUser(c, "gildong", 2001, 3001, "gildong@example.org");
        }
        trustStore = dir.resolve("trust.p12");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-importcert", "-noprompt", "-alias", "slapd", "-file", slapd.certificate().toString(),
                "-keystore", trustStore.toString(), "-storetype", "PKCS12", "-storepass", "changeit")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
    }

    @AfterAll
    static void stop() {
        slapd.close();
    }

    private static LdapSettings settings(String url, boolean startTls, String trust) {
        var s = LdapSettings.simple(url, Slapd.BASE, Slapd.READER_DN, Slapd.READER_PW);
        return new LdapSettings(s.url(), s.bindDn(), s.bindPassword(), s.userBase(), s.groupBase(), s.userFilter(),
                s.groupFilter(), startTls, trust, trust == null ? null : "changeit", false, 500,
                Duration.ofSeconds(5), Duration.ofSeconds(30), s.attributes());
    }

    @Test
    void startTlsWithTheSitesTrustStoreReadsTheDirectory() throws Exception {
        assertThat(new LdapReader(settings(slapd.url(), true, trustStore.toString())).read().users())
                .extracting(DirectorySnapshot.LdapUser::name).containsExactly("gildong");
    }

    @Test
    void ldapsWithTheSitesTrustStoreReadsTheDirectory() throws Exception {
        assertThat(new LdapReader(settings(slapd.ldapsUrl(), false, trustStore.toString())).read().users())
                .extracting(DirectorySnapshot.LdapUser::name).containsExactly("gildong");
    }

    @Test
    void anUntrustedCertificateIsRefused() {
        assertThatThrownBy(() -> new LdapReader(settings(slapd.ldapsUrl(), false, null)).read())
                .isInstanceOf(LdapUnavailableException.class)
                .hasMessageContaining("TLS with LDAP server " + slapd.ldapsUrl() + " failed");
        assertThatThrownBy(() -> new LdapReader(settings(slapd.url(), true, null)).read())
                .isInstanceOf(LdapUnavailableException.class)
                .hasMessageContaining("TLS with LDAP server " + slapd.url() + " failed");
    }
}
