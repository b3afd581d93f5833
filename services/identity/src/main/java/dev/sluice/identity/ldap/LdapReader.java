package dev.sluice.identity.ldap;

import com.unboundid.asn1.ASN1OctetString;
import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.ExtendedResult;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPConnectionOptions;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPURL;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchRequest;
import com.unboundid.ldap.sdk.SearchResult;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import com.unboundid.ldap.sdk.controls.SimplePagedResultsControl;
import com.unboundid.ldap.sdk.extensions.StartTLSExtendedRequest;
import com.unboundid.util.ssl.HostNameSSLSocketVerifier;
import com.unboundid.util.ssl.JVMDefaultTrustManager;
import com.unboundid.util.ssl.SSLUtil;
import com.unboundid.util.ssl.TrustAllTrustManager;
import com.unboundid.util.ssl.TrustStoreTrustManager;

import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Reads users and groups from OpenLDAP or Active Directory with the UnboundID SDK. Searches are paged (RFC 2696
 * simple paged results) so a directory larger than the server's size limit is read whole. Error messages name the
 * server and the bind DN, never the password.
 */
public final class LdapReader {
    private final LdapSettings settings;

    public LdapReader(LdapSettings settings) {
        this.settings = settings;
    }

    public DirectorySnapshot read() throws LdapUnavailableException {
        try (LDAPConnection conn = connect()) {
            var a = settings.attributes();
            List<DirectorySnapshot.LdapUser> users = new ArrayList<>();
            search(conn, settings.userBase(), settings.userFilter(), e -> users.add(new DirectorySnapshot.LdapUser(
                    normalize(e.getDN()), e.getAttributeValue(a.userName()), integer(e, a.uidNumber()),
                    integer(e, a.gidNumber()), e.getAttributeValue(a.displayName()), e.getAttributeValue(a.email()),
                    e.getAttributeValue(a.loginShell()))),
                    a.userName(), a.uidNumber(), a.gidNumber(), a.displayName(), a.email(), a.loginShell());
            List<DirectorySnapshot.LdapGroup> groups = new ArrayList<>();
            search(conn, settings.groupBase(), settings.groupFilter(), e -> groups.add(new DirectorySnapshot.LdapGroup(
                    normalize(e.getDN()), e.getAttributeValue(a.groupName()), integer(e, a.gidNumber()),
                    values(e, a.memberUid(), false), values(e, a.member(), true))),
                    a.groupName(), a.gidNumber(), a.memberUid(), a.member());
            return new DirectorySnapshot(users, groups);
        } catch (LDAPException e) {
            throw new LdapUnavailableException(describe(e), e);
        }
    }

    private LDAPConnection connect() throws LDAPException, LdapUnavailableException {
        LDAPURL url = new LDAPURL(settings.url());
        LDAPConnectionOptions options = new LDAPConnectionOptions();
        options.setConnectTimeoutMillis((int) settings.connectTimeout().toMillis());
        options.setResponseTimeoutMillis(settings.responseTimeout().toMillis());
        boolean tls = "ldaps".equalsIgnoreCase(url.getScheme()) || settings.startTls();
        if (tls && !settings.trustAll()) {
            options.setSSLSocketVerifier(new HostNameSSLSocketVerifier(true));
        }
        LDAPConnection conn;
        try {
            if ("ldaps".equalsIgnoreCase(url.getScheme())) {
                conn = new LDAPConnection(sslUtil().createSSLSocketFactory(), options, url.getHost(), url.getPort());
            } else {
                conn = new LDAPConnection(options, url.getHost(), url.getPort());
                if (settings.startTls()) {
                    ExtendedResult r = conn.processExtendedOperation(
                            new StartTLSExtendedRequest(sslUtil().createSSLContext()));
                    if (r.getResultCode() != ResultCode.SUCCESS) {
                        conn.close();
                        throw new LdapUnavailableException("LDAP server " + settings.url() + " refused StartTLS: "
                                + r.getResultCode() + " " + nullToEmpty(r.getDiagnosticMessage()), null);
                    }
                }
            }
        } catch (GeneralSecurityException e) {
            throw new LdapUnavailableException("TLS set-up for " + settings.url() + " failed: " + e.getMessage(), e);
        }
        if (settings.bindDn() != null && !settings.bindDn().isBlank()) {
            try {
                conn.bind(settings.bindDn(), settings.bindPassword() == null ? "" : settings.bindPassword());
            } catch (LDAPException e) {
                conn.close();
                throw new LdapUnavailableException("LDAP bind as " + settings.bindDn() + " on " + settings.url()
                        + " failed: " + e.getResultCode(), e);
            }
        }
        return conn;
    }

    private SSLUtil sslUtil() throws GeneralSecurityException {
        if (settings.trustAll()) {
            return new SSLUtil(new TrustAllTrustManager());
        }
        if (settings.trustStore() != null && !settings.trustStore().isBlank()) {
            char[] pw = settings.trustStorePassword() == null ? null : settings.trustStorePassword().toCharArray();
            return new SSLUtil(new TrustStoreTrustManager(settings.trustStore(), pw, null, true));
        }
        return new SSLUtil(JVMDefaultTrustManager.getInstance());
    }

    private void search(LDAPConnection conn, String base, String filter, Consumer<SearchResultEntry> each,
                        String... attributes) throws LDAPException {
        ASN1OctetString cookie = null;
        do {
            SearchRequest request = new SearchRequest(base, SearchScope.SUB, filter, attributes);
            request.setControls(new SimplePagedResultsControl(settings.pageSize(), cookie, true));
            SearchResult result = conn.search(request);
            result.getSearchEntries().forEach(each);
            SimplePagedResultsControl page = SimplePagedResultsControl.get(result);
            cookie = page == null ? null : page.getCookie();
        } while (cookie != null && cookie.getValueLength() > 0);
    }

    private String describe(LDAPException e) {
        ResultCode rc = e.getResultCode();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof javax.net.ssl.SSLException) {
                return "TLS with LDAP server " + settings.url() + " failed (is its certificate in the trust store?): "
                        + t.getMessage();
            }
        }
        if (rc == ResultCode.CONNECT_ERROR || rc == ResultCode.SERVER_DOWN || rc == ResultCode.TIMEOUT) {
            return "LDAP server " + settings.url() + " is unreachable: " + e.getExceptionMessage();
        }
        if (rc == ResultCode.NO_SUCH_OBJECT) {
            return "LDAP search base does not exist on " + settings.url() + " (user base " + settings.userBase()
                    + ", group base " + settings.groupBase() + ")";
        }
        return "LDAP search on " + settings.url() + " failed: " + rc + " " + nullToEmpty(e.getDiagnosticMessage());
    }

    private static Integer integer(SearchResultEntry e, String attribute) {
        String v = e.getAttributeValue(attribute);
        if (v == null) {
            return null;
        }
        try {
            return Integer.valueOf(v.trim());
        } catch (NumberFormatException ex) {
            return null;
        }
    }

    private static Set<String> values(SearchResultEntry e, String attribute, boolean dns) {
        String[] vs = e.getAttributeValues(attribute);
        Set<String> out = new LinkedHashSet<>();
        if (vs != null) {
            for (String v : vs) {
                out.add(dns ? normalize(v) : v.trim());
            }
        }
        return out;
    }

    /** DNs are compared in normal form: {@code UID=Gildong, OU=People} and {@code uid=gildong,ou=people} match. */
    public static String normalize(String dn) {
        try {
            return new DN(dn).toNormalizedString();
        } catch (LDAPException e) {
            return dn.trim().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
