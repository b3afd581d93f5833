package dev.sluice.cli.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.cli.common.Api;
import dev.sluice.cli.common.Context;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code bin/slogin}: gets an OpenID Connect token for the Sluice commands and caches it for this user.
 * <pre>
 * slogin [-u USER] [--password-stdin]     password grant (asks for the password on the terminal)
 * slogin --device                         device authorization grant (open a URL, enter a code)
 * slogin --status | --print-token | --logout
 * options: --issuer URL (default: what the submit service announces at /api/v1/auth), --client ID (sluice-cli)
 * </pre>
 */
public final class Auth {
    private Auth() {
    }

    public static int run(Context ctx, List<String> args, Api api) {
        String user = null;
        String issuer = ctx.env().get("SLUICE_OIDC_ISSUER");
        String client = ctx.env().get("SLUICE_OIDC_CLIENT");
        String action = "login";
        boolean device = false;
        boolean passwordStdin = false;
        List<String> rest = new ArrayList<>(args);
        try {
        while (!rest.isEmpty()) {
            String a = rest.removeFirst();
            switch (a) {
                case "login" -> action = "login";
                case "-u", "--user" -> user = next(rest, a);
                case "--issuer" -> issuer = next(rest, a);
                case "--client" -> client = next(rest, a);
                case "--device" -> device = true;
                case "--password-stdin" -> passwordStdin = true;
                case "--status", "status" -> action = "status";
                case "--logout", "logout" -> action = "logout";
                case "--print-token", "token" -> action = "token";
                case "-h", "--help" -> {
                    ctx.out().println("usage: slogin [-u USER] [--password-stdin] | --device | --status | --print-token | --logout"
                            + " [--issuer URL] [--client ID]");
                    return 0;
                }
                default -> {
                    if (a.startsWith("--user=")) {
                        user = a.substring(7);
                    } else if (a.startsWith("--issuer=")) {
                        issuer = a.substring(9);
                    } else {
                        ctx.err().println("slogin: error: unrecognized option '" + a + "'");
                        return 2;
                    }
                }
            }
        }
        } catch (IllegalArgumentException e) {
            ctx.err().println("slogin: error: " + e.getMessage());
            return 2;
        }
        TokenStore store = new TokenStore(ctx.env(), ctx.clock());
        try {
            return switch (action) {
                case "logout" -> {
                    ctx.out().println(store.delete() ? "slogin: logged out (removed " + store.file() + ")"
                            : "slogin: not logged in");
                    yield 0;
                }
                case "token" -> {
                    Optional<String> t = store.bearer();
                    if (t.isEmpty()) {
                        ctx.err().println("slogin: error: not logged in: run slogin");
                        yield 1;
                    }
                    ctx.out().println(t.get());
                    yield 0;
                }
                case "status" -> status(ctx, store);
                default -> login(ctx, api, store, user, issuer, client, device, passwordStdin);
            };
        } catch (IOException | IllegalArgumentException e) {
            ctx.err().println("slogin: error: " + e.getMessage());
            return 1;
        } catch (IllegalStateException e) {
            ctx.err().println("slogin: error: " + e.getMessage());
            return 1;
        }
    }

    private static int status(Context ctx, TokenStore store) throws IOException {
        Optional<String> t = store.bearer();
        if (t.isEmpty()) {
            ctx.out().println("slogin: not logged in");
            return 1;
        }
        JsonNode claims = claims(t.get());
        long exp = claims.path("exp").asLong(0);
        boolean valid = exp > ctx.clock().instant().getEpochSecond();
        ctx.out().println("slogin: " + (valid ? "logged in" : "token expired") + " as "
                + claims.path("preferred_username").asText("?") + " (roles " + roles(claims) + ") until "
                + Instant.ofEpochSecond(exp).atZone(ctx.zone()).toLocalDateTime()
                + (ctx.env().containsKey("SLUICE_TOKEN") ? ", from SLUICE_TOKEN" : ", token in " + store.file()));
        return valid ? 0 : 1;
    }

    private static int login(Context ctx, Api api, TokenStore store, String user, String issuer, String client,
                             boolean device, boolean passwordStdin) throws IOException {
        if (issuer == null || issuer.isBlank()) {
            Api.Response r;
            try {
                r = api.get(ctx.endpoints().submit(), "/api/v1/auth", Map.of());
            } catch (Api.Unreachable e) {
                throw new IllegalStateException(e.getMessage() + " (or pass --issuer URL)");
            }
            JsonNode a = r.ok() ? Api.JSON.readTree(r.body()) : null;
            if (a == null || !a.path("enabled").asBoolean(false)) {
                ctx.out().println("slogin: " + ctx.endpoints().submit()
                        + " does not ask for a login (authentication is off): nothing to do");
                return 0;
            }
            issuer = a.path("issuer").asText();
            if (client == null) {
                client = a.path("loginClient").asText(null);
            }
        }
        if (client == null || client.isBlank()) {
            client = "sluice-cli";
        }
        issuer = issuer.replaceAll("/+$", "");
        JsonNode discovery = getJson(issuer + "/.well-known/openid-configuration");
        String tokenEndpoint = discovery.path("token_endpoint").asText();
        JsonNode answer;
        if (device) {
            answer = deviceGrant(ctx, discovery, tokenEndpoint, client);
        } else {
            if (user == null) {
                user = ctx.identity().user();
            }
            String password = password(ctx, user, passwordStdin);
            HttpResponse<String> r = TokenStore.post(tokenEndpoint, Map.of("grant_type", "password",
                    "client_id", client, "username", user, "password", password, "scope", "openid"));
            if (r.statusCode() != 200) {
                throw new IllegalStateException("login as " + user + " refused: " + describe(r.body()));
            }
            answer = Api.JSON.readTree(r.body());
        }
        ObjectNode saved = store.save(answer, tokenEndpoint, client);
        JsonNode claims = claims(saved.path("access_token").asText());
        ctx.out().println("slogin: logged in as " + claims.path("preferred_username").asText("?") + " (roles "
                + roles(claims) + "); token in " + store.file());
        return 0;
    }

    private static JsonNode deviceGrant(Context ctx, JsonNode discovery, String tokenEndpoint, String client)
            throws IOException {
        String endpoint = discovery.path("device_authorization_endpoint").asText(null);
        if (endpoint == null) {
            throw new IllegalStateException("the identity provider offers no device authorization grant");
        }
        HttpResponse<String> r = TokenStore.post(endpoint, Map.of("client_id", client, "scope", "openid"));
        if (r.statusCode() != 200) {
            throw new IllegalStateException("device login refused: " + describe(r.body()));
        }
        JsonNode d = Api.JSON.readTree(r.body());
        ctx.out().println("slogin: open " + d.path("verification_uri_complete").asText(d.path("verification_uri").asText())
                + " and confirm the code " + d.path("user_code").asText());
        long interval = Math.max(1, d.path("interval").asLong(5));
        long deadline = System.nanoTime() + Duration.ofSeconds(d.path("expires_in").asLong(600)).toNanos();
        while (System.nanoTime() < deadline) {
            sleep(interval);
            HttpResponse<String> t = TokenStore.post(tokenEndpoint, Map.of(
                    "grant_type", "urn:ietf:params:oauth:grant-type:device_code", "client_id", client,
                    "device_code", d.path("device_code").asText()));
            if (t.statusCode() == 200) {
                return Api.JSON.readTree(t.body());
            }
            String error = Api.JSON.readTree(t.body()).path("error").asText();
            if (error.equals("slow_down")) {
                interval++;
            } else if (!error.equals("authorization_pending")) {
                throw new IllegalStateException("device login failed: " + describe(t.body()));
            }
        }
        throw new IllegalStateException("device login timed out: the code was not confirmed in time");
    }

    private static String password(Context ctx, String user, boolean fromStdin) throws IOException {
        Console console = System.console();
        if (!fromStdin && console != null && ctx.in() == System.in) {
            char[] p = console.readPassword("Password for %s: ", user);
            if (p == null) {
                throw new IllegalStateException("no password given");
            }
            return new String(p);
        }
        String line = new BufferedReader(new InputStreamReader(ctx.in(), StandardCharsets.UTF_8)).readLine();
        if (line == null || line.isEmpty()) {
            throw new IllegalStateException("no password given on standard input");
        }
        return line;
    }

    /** The token's claims, read without checking the signature: only for showing who one is. */
    static JsonNode claims(String jwt) throws IOException {
        String[] parts = jwt.split("\\.");
        if (parts.length < 2) {
            return Api.JSON.createObjectNode();
        }
        return Api.JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
    }

    static String roles(JsonNode claims) {
        List<String> out = new ArrayList<>();
        claims.path("realm_access").path("roles").forEach(r -> {
            if (List.of("user", "operator", "admin").contains(r.asText())) {
                out.add(r.asText());
            }
        });
        return out.isEmpty() ? "none" : String.join(",", out.stream().sorted().toList());
    }

    private static String describe(String body) {
        try {
            JsonNode n = Api.JSON.readTree(body);
            if (n.hasNonNull("error_description")) {
                return n.get("error_description").asText();
            }
            if (n.hasNonNull("error")) {
                return n.get("error").asText();
            }
        } catch (IOException | RuntimeException ignored) {
            // not JSON
        }
        return body.length() > 200 ? body.substring(0, 200) : body;
    }

    private static JsonNode getJson(String url) throws IOException {
        try {
            HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
                    .send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
                            HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException(url + " answered HTTP " + r.statusCode());
            }
            return Api.JSON.readTree(r.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static String next(List<String> rest, String option) {
        if (rest.isEmpty()) {
            throw new IllegalArgumentException("option '" + option + "' requires an argument");
        }
        return rest.removeFirst();
    }

    private static void sleep(long seconds) {
        try {
            Thread.sleep(seconds * 1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }
}
