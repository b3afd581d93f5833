package dev.sluice.identity.sync;

import com.unboundid.ldap.sdk.LDAPConnection;
import dev.sluice.infra.ldap.Slapd;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Starts a real slapd holding gildong (uidNumber 2001) in ai_team (gidNumber 3001), chulsoo (2002) in the
 * groupOfNames physics_lab, and a mapping file sending ai_team to ai_project and physics_lab to physics; points
 * identity at both, with the scheduled sync off so that only the tests trigger syncs.
 */
public class SlapdTestResource implements QuarkusTestResourceLifecycleManager {
    public static final String MAPPING = """
            accounts: [ai_project, physics]
            defaults: {partition: cpu, shares: 1}
            groups:
              ai_team: {account: ai_project, partition: gpu, qos: normal, shares: 100}
              physics_lab: {account: physics}
            """;

    public static volatile Slapd slapd;
    public static volatile Path mappingFile;
    private Path dir;

    @Override
    public Map<String, String> start() {
        try {
            dir = Files.createTempDirectory("identity-test");
            slapd = Slapd.start(dir.resolve("slapd"));
            try (LDAPConnection c = slapd.admin()) {
                Slapd.addPosixGroup(c, "users", 100);
                Slapd.addPosixGroup(c, "ai_team", 3001, "gildong");
                Slapd.addUser(c, "gildong", 2001, 3001, "gildong@example.org");
                Slapd.addUser(c, "chulsoo", 2002, 100, "chulsoo@example.org");
                c.add("dn: " + Slapd.groupDn("physics_lab"), "objectClass: groupOfNames", "cn: physics_lab",
                        "member: " + Slapd.userDn("chulsoo"));
            }
            mappingFile = dir.resolve("mapping.yaml");
            Files.writeString(mappingFile, MAPPING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return Map.of(
                "sluice.identity.ldap.url", slapd.url(),
                "sluice.identity.ldap.base-dn", Slapd.BASE,
                "sluice.identity.ldap.bind-dn", Slapd.READER_DN,
                "sluice.identity.ldap.bind-password", Slapd.READER_PW,
                "sluice.identity.mapping.file", mappingFile.toString(),
                "sluice.identity.sync.interval", "0s");
    }

    @Override
    public void stop() {
        if (slapd != null) {
            slapd.close();
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temp folder is harmless
        }
    }
}
