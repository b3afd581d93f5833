package dev.sluice.cli.common;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * Where the services listen. Order: SLUICE_SUBMIT_URL / SLUICE_ACCOUNTING_URL, then the endpoints file the local
 * runner writes into its data folder ($SLUICE_HOME, default &lt;repo&gt;/.sluice), then the default ports.
 */
public record Endpoints(URI submit, URI accounting) {
    public static final String DEFAULT_SUBMIT = "http://127.0.0.1:6820";
    public static final String DEFAULT_ACCOUNTING = "http://127.0.0.1:6819";
    /** Keys of endpoints.properties, shared with the local runner that writes it. */
    public static final String SUBMIT_KEY = "submit.url";
    public static final String ACCOUNTING_KEY = "accounting.url";

    public static Endpoints resolve(Map<String, String> env, String defaultHome) {
        Properties file = new Properties();
        String home = env.getOrDefault("SLUICE_HOME", defaultHome);
        if (home != null && !home.isBlank()) {
            Path p = Path.of(home, "endpoints.properties");
            if (Files.isReadable(p)) {
                try (Reader r = Files.newBufferedReader(p)) {
                    file.load(r);
                } catch (IOException e) {
                    // An unreadable file is treated as absent: the defaults are what the runner writes anyway.
                }
            }
        }
        return new Endpoints(
                uri(env.get("SLUICE_SUBMIT_URL"), file.getProperty(SUBMIT_KEY), DEFAULT_SUBMIT),
                uri(env.get("SLUICE_ACCOUNTING_URL"), file.getProperty(ACCOUNTING_KEY), DEFAULT_ACCOUNTING));
    }

    private static URI uri(String... candidates) {
        for (String c : candidates) {
            if (c != null && !c.isBlank()) {
                return URI.create(c.trim().replaceAll("/+$", ""));
            }
        }
        throw new IllegalStateException("no endpoint");
    }
}
