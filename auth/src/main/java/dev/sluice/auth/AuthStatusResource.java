package dev.sluice.auth;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Whether this service wants tokens and from whom: the CLI's login reads the issuer here, and the local runner
 * can show that the stack is open.
 */
@Path("/api/v1/auth")
@Public
public class AuthStatusResource {
    private final boolean enabled;
    private final Optional<String> issuer;
    private final String loginClient;

    public AuthStatusResource(@ConfigProperty(name = "sluice.auth.enabled", defaultValue = "false") boolean enabled,
                              @ConfigProperty(name = "quarkus.oidc.auth-server-url") Optional<String> issuer,
                              @ConfigProperty(name = "sluice.auth.login-client", defaultValue = "sluice-cli")
                              String loginClient) {
        this.enabled = enabled;
        this.issuer = issuer;
        this.loginClient = loginClient;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public String status() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("enabled", Boolean.toString(enabled));
        if (enabled) {
            m.put("issuer", issuer.orElse(""));
            m.put("loginClient", loginClient);
        }
        StringBuilder b = new StringBuilder("{");
        m.forEach((k, v) -> {
            if (b.length() > 1) {
                b.append(',');
            }
            b.append('"').append(k).append("\":")
                    .append(k.equals("enabled") ? v : Messages.quote(v));
        });
        return b.append('}').toString();
    }
}
