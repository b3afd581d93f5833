package dev.sluice.cli.scontrol;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.cli.common.Api;
import dev.sluice.cli.common.Context;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The scheduler's REST API (nodes, partitions, priorities, admin operations) as sinfo, scontrol and sprio use it.
 * Its address: SLUICE_SCHEDULER_URL, else {@code scheduler.url} in the runner's endpoints file, else port 6821.
 * Node and partition fields are read leniently (absent ones print as Slurm prints unknowns), so the commands keep
 * working while the service grows fields.
 */
public final class Controller {
    public static final String DEFAULT_URL = "http://127.0.0.1:6821";
    public static final String SCHEDULER_KEY = "scheduler.url";

    private final Api api;
    private final URI base;

    public Controller(Context ctx, Api api) {
        this.api = api;
        this.base = resolve(ctx.env(), System.getProperty("sluice.home.default"));
    }

    public URI base() {
        return base;
    }

    static URI resolve(Map<String, String> env, String defaultHome) {
        String url = env.get("SLUICE_SCHEDULER_URL");
        if (url == null || url.isBlank()) {
            String home = env.getOrDefault("SLUICE_HOME", defaultHome);
            if (home != null && !home.isBlank()) {
                Path p = Path.of(home, "endpoints.properties");
                if (Files.isReadable(p)) {
                    Properties file = new Properties();
                    try (Reader r = Files.newBufferedReader(p)) {
                        file.load(r);
                        url = file.getProperty(SCHEDULER_KEY);
                    } catch (IOException e) {
                        // Unreadable: the default port is what the runner uses anyway.
                    }
                }
            }
        }
        if (url == null || url.isBlank()) {
            url = DEFAULT_URL;
        }
        return URI.create(url.trim().replaceAll("/+$", ""));
    }

    /** The service answered with an error; the text is the service's, in Slurm's words where it has them. */
    public static final class Failed extends Exception {
        private final int status;

        public Failed(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    public List<JsonNode> nodes() throws Api.Unreachable, Failed {
        return list(get("/api/v1/nodes", Map.of()), "nodes");
    }

    public List<JsonNode> partitions() throws Api.Unreachable, Failed {
        return list(get("/api/v1/partitions", Map.of()), "partitions");
    }

    public JsonNode get(String path, Map<String, String> query) throws Api.Unreachable, Failed {
        return parse(api.get(base, path, query));
    }

    public JsonNode post(String path, Object body) throws Api.Unreachable, Failed {
        return parse(api.post(base, path, body));
    }

    static JsonNode parse(Api.Response r) throws Failed {
        if (!r.ok()) {
            throw new Failed(r.status(), r.error());
        }
        try {
            return r.body() == null || r.body().isBlank() ? Api.JSON.createObjectNode() : Api.JSON.readTree(r.body());
        } catch (IOException e) {
            throw new Failed(r.status(), "Unexpected answer from the scheduler: " + e.getMessage());
        }
    }

    static List<JsonNode> list(JsonNode body, String field) {
        JsonNode arr = body.isArray() ? body : body.path(field);
        List<JsonNode> out = new ArrayList<>();
        arr.forEach(out::add);
        return out;
    }

    /** A text field, or {@code dflt} when absent or null. */
    public static String text(JsonNode n, String field, String dflt) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? dflt : v.asText();
    }

    public static long num(JsonNode n, String field, long dflt) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() || !v.canConvertToLong() && !v.isTextual() ? dflt : v.asLong(dflt);
    }

    public static boolean has(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v != null && !v.isNull();
    }

    /** A list field as strings: a JSON array, or a comma-separated text. */
    public static List<String> strings(JsonNode n, String field) {
        JsonNode v = n.get(field);
        List<String> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (v.isArray()) {
            v.forEach(x -> out.add(x.asText()));
        } else {
            for (String s : v.asText().split(",")) {
                if (!s.isBlank()) {
                    out.add(s.trim());
                }
            }
        }
        return out;
    }
}
