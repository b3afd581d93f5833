package dev.sluice.identity;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/** Everything identity reads from configuration under {@code sluice.identity}. See the README for each key. */
@ConfigMapping(prefix = "sluice.identity")
public interface IdentityConfig {
    Ldap ldap();

    Sync sync();

    Mapping mapping();

    interface Ldap {
        /** {@code ldap://host:port} or {@code ldaps://host:port}; unset = no sync. */
        Optional<String> url();

        Optional<String> bindDn();

        /** Never logged, never returned by any endpoint. */
        Optional<String> bindPassword();

        /** Where users and groups are searched when no separate base is set. */
        Optional<String> baseDn();

        Optional<String> userBase();

        Optional<String> groupBase();

        @WithDefault("(objectClass=posixAccount)")
        String userFilter();

        @WithDefault("(|(objectClass=posixGroup)(objectClass=groupOfNames))")
        String groupFilter();

        @WithDefault("false")
        boolean startTls();

        /** Trust store (JKS or PKCS12) for LDAPS and StartTLS; unset = the JVM's default trust store. */
        Optional<String> trustStore();

        Optional<String> trustStorePassword();

        /** Accepts any server certificate and skips the host name check: for tests only. */
        @WithDefault("false")
        boolean trustAll();

        @WithDefault("500")
        int pageSize();

        @WithDefault("5s")
        Duration connectTimeout();

        @WithDefault("60s")
        Duration responseTimeout();

        Attributes attributes();
    }

    /** LDAP attribute names; the defaults are RFC 2307 (OpenLDAP's nis schema). */
    interface Attributes {
        @WithDefault("uid")
        String userName();

        @WithDefault("uidNumber")
        String uidNumber();

        @WithDefault("gidNumber")
        String gidNumber();

        @WithDefault("cn")
        String displayName();

        @WithDefault("mail")
        String email();

        @WithDefault("loginShell")
        String loginShell();

        @WithDefault("cn")
        String groupName();

        @WithDefault("memberUid")
        String memberUid();

        @WithDefault("member")
        String member();
    }

    interface Sync {
        /** How often the scheduled sync runs; {@code 0} turns the schedule off (on-demand syncs still work). */
        @WithDefault("15m")
        Duration interval();

        @WithDefault("sluice-identity")
        String transactionalId();
    }

    interface Mapping {
        /** The group-to-account mapping (YAML); read at every sync, rewritten by {@code PUT /mapping}. */
        Optional<String> file();
    }
}
