package dev.sluice.identity.status;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.Optional;

/** {@code GET /api/v1/identity/status}: how many users and groups identity knows, and where they come from. */
@Path("/api/v1/identity/status")
@Produces(MediaType.APPLICATION_JSON)
public class IdentityStatusResource {
    @Inject
    Directory directory;

    @ConfigProperty(name = "sluice.identity.ldap.url")
    Optional<String> ldapUrl;

    @GET
    public IdentityStatus status() {
        return new IdentityStatus(directory.userCount(), directory.groupCount(), directory.lastSync(),
                ldapUrl.filter(u -> !u.isBlank()).orElse("not configured"));
    }
}
