package dev.sluice.identity.ldap;

import java.time.Duration;

/**
 * How to reach and read the directory. {@link #toString()} leaves the bind password out, so a settings object can
 * be logged.
 */
public record LdapSettings(String url, String bindDn, String bindPassword, String userBase, String groupBase,
                           String userFilter, String groupFilter, boolean startTls, String trustStore,
                           String trustStorePassword, boolean trustAll, int pageSize, Duration connectTimeout,
                           Duration responseTimeout, Attributes attributes) {

    public record Attributes(String userName, String uidNumber, String gidNumber, String displayName, String email,
                             String loginShell, String groupName, String memberUid, String member) {
        public static Attributes rfc2307() {
            return new Attributes("uid", "uidNumber", "gidNumber", "cn", "mail", "loginShell", "cn", "memberUid",
                    "member");
        }
    }

    /** Plain OpenLDAP/RFC 2307 settings with an optional simple bind, for tests and tools. */
    public static LdapSettings simple(String url, String baseDn, String bindDn, String bindPassword) {
        return new LdapSettings(url, bindDn, bindPassword, baseDn, baseDn, "(objectClass=posixAccount)",
                "(|(objectClass=posixGroup)(objectClass=groupOfNames))", false, null, null, false, 500,
                Duration.ofSeconds(5), Duration.ofSeconds(60), Attributes.rfc2307());
    }

    @Override
    public String toString() {
        return "LdapSettings[url=" + url + ", bindDn=" + bindDn + ", bindPassword=" + (bindPassword == null ? "none" : "***")
                + ", userBase=" + userBase + ", groupBase=" + groupBase + ", startTls=" + startTls + "]";
    }
}
