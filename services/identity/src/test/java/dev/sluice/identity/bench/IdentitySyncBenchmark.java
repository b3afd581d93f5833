package dev.sluice.identity.bench;

import com.unboundid.ldap.sdk.AddRequest;
import com.unboundid.ldap.sdk.LDAPConnection;
import dev.sluice.contracts.kafka.TopicSetup;
import dev.sluice.identity.ldap.LdapReader;
import dev.sluice.identity.ldap.LdapSettings;
import dev.sluice.infra.ldap.Slapd;
import dev.sluice.identity.mapping.MappingFormat;
import dev.sluice.identity.state.EventPublisher;
import dev.sluice.identity.state.IdentityState;
import dev.sluice.identity.state.PublishedStateLoader;
import dev.sluice.identity.sync.SyncEngine;
import dev.sluice.identity.sync.SyncReport;
import dev.sluice.infra.KafkaBroker;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Not a test: {@code ./mvnw -B -o -pl services/identity test -Pbench}. A real slapd with 10,000 users in 500
 * posixGroups (20 listed members each, also their primary group), 500 groups mapped to 50 accounts, a real Kafka
 * broker; times the first sync (read, diff, one transaction of 10,500 events), a no-change sync, and a rebuild of
 * the published state from the topic (what a restart costs). Prints the figures for docs/benchmarks.md.
 */
class IdentitySyncBenchmark {
    static final int USERS = 10_000;
    static final int GROUPS = 500;

    @Test
    void firstAndNoChangeSyncOfTenThousandUsers() throws Exception {
        Path dir = Files.createTempDirectory("identity-bench");
        try (Slapd slapd = Slapd.start(dir.resolve("slapd"));
             KafkaBroker kafka = KafkaBroker.start(dir.resolve("kafka"), 0)) {
            long t0 = System.nanoTime();
            try (LDAPConnection c = slapd.admin()) {
                for (int g = 0; g < GROUPS; g++) {
                    List<String> lines = new ArrayList<>(List.of("dn: " + Slapd.groupDn("team" + g),
                            "objectClass: posixGroup", "cn: team" + g, "gidNumber: " + (30_000 + g)));
                    for (int u = g; u < USERS; u += GROUPS) {
                        lines.add("memberUid: user" + u);
                    }
                    c.add(new AddRequest(lines.toArray(String[]::new)));
                }
                for (int u = 0; u < USERS; u++) {
                    Slapd.addUser(c, "user" + u, 20_000 + u, 30_000 + (u % GROUPS), "user" + u + "@example.org");
                }
            }
            double load = (System.nanoTime() - t0) / 1e9;
            StringBuilder mapping = new StringBuilder("accounts: [");
            for (int a = 0; a < 50; a++) {
                mapping.append(a == 0 ? "" : ", ").append("acct").append(a);
            }
            mapping.append("]\ngroups:\n");
            for (int g = 0; g < GROUPS; g++) {
                mapping.append("  team").append(g).append(": {account: acct").append(g % 50)
                        .append(", partition: gpu, shares: 10}\n");
            }
            var m = MappingFormat.parse(mapping.toString());
            TopicSetup.ensureTopics(kafka.bootstrapServers(), (short) 1);
            LdapSettings settings = LdapSettings.simple(slapd.url(), Slapd.BASE, Slapd.READER_DN, Slapd.READER_PW);
            try (EventPublisher publisher = new EventPublisher(kafka.bootstrapServers(), "identity-bench")) {
                SyncEngine engine = new SyncEngine(new LdapReader(settings), () -> m, publisher, new IdentityState(),
                        Clock.systemUTC());
                long tp = System.nanoTime();
                publisher.prepare();
                double prepare = (System.nanoTime() - tp) / 1e9;
                long ta = System.nanoTime();
                var snapshot = new LdapReader(settings).read();
                double readOnly = (System.nanoTime() - ta) / 1e9;
                long t1 = System.nanoTime();
                SyncReport first = engine.run(false);
                double firstSync = (System.nanoTime() - t1) / 1e9;
                long t2 = System.nanoTime();
                SyncReport second = engine.run(false);
                double noChange = (System.nanoTime() - t2) / 1e9;
                long t3 = System.nanoTime();
                IdentityState rebuilt = PublishedStateLoader.load(kafka.bootstrapServers());
                double rebuild = (System.nanoTime() - t3) / 1e9;
                if (first.changeCount() != USERS + GROUPS || second.changeCount() != 0
                        || rebuilt.users().size() != USERS || snapshot.users().size() != USERS) {
                    throw new AssertionError("unexpected: " + first.summary() + " / " + second.summary());
                }
                System.out.printf("""
                        IDENTITY BENCH (%d users, %d groups, %d accounts)
                          directory load (LDAP adds, not part of a sync): %.1f s
                          Kafka transactional producer start (at service start, not in a sync): %.2f s
                          LDAP paged read alone (page 500):               %.2f s
                          first sync (%s):  %.2f s
                          no-change sync (%s):  %.2f s
                          rebuild published state from Kafka (restart):  %.2f s
                        """, USERS, GROUPS, 50, load, prepare, readOnly, first.summary(), firstSync, second.summary(),
                        noChange, rebuild);
            }
        } finally {
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
