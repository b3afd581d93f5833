package dev.sluice.identity.status;

import dev.sluice.identity.sync.IdentityService;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** {@code GET /api/v1/identity/status}: how many users and groups identity knows, and where they come from. */
@Path("/api/v1/identity/status")
@Produces(MediaType.APPLICATION_JSON)
public class IdentityStatusResource {
    @Inject
    IdentityService service;

    @GET
    public IdentityStatus status() {
        var published = service.engine().published();
        String url = service.ldapUrl();
        return new IdentityStatus(published.users().size(), published.groups().size(), service.engine().lastSync(),
                url == null ? "not configured" : url);
    }
}
