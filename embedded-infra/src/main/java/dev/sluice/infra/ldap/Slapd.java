package dev.sluice.infra.ldap;

import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real OpenLDAP slapd (Debian's {@code slapd} package) from a private slapd.conf on a free loopback port: core,
 * cosine, nis and inetorgperson schemas, an mdb database under {@code dc=sluice,dc=test}. Entries other than the
 * root DN see a 500-entry size limit, as a production server would, so only paged searches read a large
 * directory whole. Identity binds as {@link #READER_DN}; anonymous users read nothing.
 */
public final class Slapd implements AutoCloseable {
    public static final String BASE = "dc=sluice,dc=test";
    public static final String ROOT_DN = "cn=admin," + BASE;
    public static final String ROOT_PW = "admin-secret";
    public static final String READER_DN = "cn=sync-reader," + BASE;
    public static final String READER_PW = "reader-Pa55-never-logged";

    private final Path dir;
    private final int port;
    private final int tlsPort;
    private Process process;

    private Slapd(Path dir, int port, int tlsPort) {
        this.dir = dir;
        this.port = port;
        this.tlsPort = tlsPort;
    }

    public static Slapd start(Path dir) {
        return start(dir, false);
    }

    /**
     * @param tls also serve StartTLS on the plain port and LDAPS on {@link #ldapsUrl()}, with a self-signed
     *            certificate for 127.0.0.1 ({@link #certificate()})
     */
    public static Slapd start(Path dir, boolean tls) {
        try {
            Files.createDirectories(dir.resolve("data"));
            int port = freePort();
            int tlsPort = tls ? freePort() : -1;
            String tlsConf = "";
            if (tls) {
                run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                        "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString());
                tlsConf = "TLSCertificateFile " + dir.resolve("cert.pem").toAbsolutePath() + "\n"
                        + "TLSCertificateKeyFile " + dir.resolve("key.pem").toAbsolutePath() + "\n";
            }
            Files.writeString(dir.resolve("slapd.conf"), tlsConf + """
                    include /etc/ldap/schema/core.schema
                    include /etc/ldap/schema/cosine.schema
                    include /etc/ldap/schema/nis.schema
                    include /etc/ldap/schema/inetorgperson.schema
                    pidfile %1$s/slapd.pid
                    argsfile %1$s/slapd.args
                    modulepath /usr/lib/ldap
                    moduleload back_mdb
                    sizelimit size.soft=500 size.hard=500 size.prtotal=unlimited
                    access to attrs=userPassword by self write by anonymous auth by * none
                    access to * by users read by * none
                    database mdb
                    maxsize 1073741824
                    dbnosync
                    suffix "%2$s"
                    rootdn "%3$s"
                    rootpw %4$s
                    directory %1$s/data
                    index objectClass,uid,memberUid eq
                    """.formatted(dir.toAbsolutePath(), BASE, ROOT_DN, ROOT_PW));
            Slapd s = new Slapd(dir, port, tlsPort);
            s.startProcess();
            s.loadBase();
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String url() {
        return "ldap://127.0.0.1:" + port;
    }

    public String ldapsUrl() {
        return "ldaps://127.0.0.1:" + tlsPort;
    }

    /** The server's self-signed certificate (PEM), when started with TLS. */
    public Path certificate() {
        return dir.resolve("cert.pem");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void run(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        try {
            if (p.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public int port() {
        return port;
    }

    /** A connection bound as the root DN, for tests that shape the directory. */
    public LDAPConnection admin() {
        try {
            LDAPConnection c = new LDAPConnection("127.0.0.1", port);
            c.bind(ROOT_DN, ROOT_PW);
            return c;
        } catch (LDAPException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stops the server; {@link #restart()} brings it back on the same port with the same data. */
    public void stop() {
        if (process != null) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    public void restart() {
        stop();
        startProcess();
    }

    private void startProcess() {
        try {
            String listen = url() + "/" + (tlsPort > 0 ? " " + ldapsUrl() + "/" : "");
            process = new ProcessBuilder("/usr/sbin/slapd", "-f", dir.resolve("slapd.conf").toString(),
                    "-h", listen, "-d", "0")
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("slapd.log").toFile())
                    .start();
            for (int i = 0; i < 200; i++) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("slapd exited with " + process.exitValue() + ": "
                            + Files.readString(dir.resolve("slapd.log")));
                }
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                    return;
                } catch (IOException notYet) {
                    Thread.sleep(50);
                }
            }
            throw new IllegalStateException("slapd did not open port " + port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void loadBase() {
        try (LDAPConnection c = admin()) {
            c.add("dn: " + BASE, "objectClass: dcObject", "objectClass: organization", "dc: sluice", "o: Sluice");
            c.add("dn: ou=people," + BASE, "objectClass: organizationalUnit", "ou: people");
            c.add("dn: ou=groups," + BASE, "objectClass: organizationalUnit", "ou: groups");
            c.add("dn: " + READER_DN, "objectClass: organizationalRole", "objectClass: simpleSecurityObject",
                    "cn: sync-reader", "userPassword: " + READER_PW);
        } catch (LDAPException | com.unboundid.ldif.LDIFException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String userDn(String name) {
        return "uid=" + name + ",ou=people," + BASE;
    }

    public static String groupDn(String name) {
        return "cn=" + name + ",ou=groups," + BASE;
    }

    /** Adds a posixAccount/inetOrgPerson the way an OpenLDAP site holds its users. */
    public static void addUser(LDAPConnection c, String name, int uid, int gid, String mail)
            throws LDAPException, com.unboundid.ldif.LDIFException {
        c.add("dn: " + userDn(name), "objectClass: inetOrgPerson", "objectClass: posixAccount", "uid: " + name,
                "cn: " + name + " display", "sn: " + name, "uidNumber: " + uid, "gidNumber: " + gid,
                "homeDirectory: /home/" + name, "loginShell: /bin/bash", "mail: " + mail);
    }

    public static void addPosixGroup(LDAPConnection c, String name, int gid, String... memberUids)
            throws LDAPException, com.unboundid.ldif.LDIFException {
        var lines = new java.util.ArrayList<String>(java.util.List.of("dn: " + groupDn(name),
                "objectClass: posixGroup", "cn: " + name, "gidNumber: " + gid));
        for (String m : memberUids) {
            lines.add("memberUid: " + m);
        }
        c.add(lines.toArray(String[]::new));
    }

    @Override
    public void close() {
        stop();
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temp folder is harmless
        }
    }
}
