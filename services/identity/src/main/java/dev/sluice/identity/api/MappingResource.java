package dev.sluice.identity.api;

import dev.sluice.auth.Requires;
import dev.sluice.auth.Role;
import dev.sluice.identity.mapping.AccountMapping;
import dev.sluice.identity.mapping.MappingFormat;
import dev.sluice.identity.mapping.MappingStore;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.List;

/**
 * {@code GET/PUT /api/v1/identity/mapping}: the group-to-account mapping, as JSON; PUT takes JSON or YAML,
 * checks it (every mapped account must be declared) and stores it. The next sync applies it.
 */
@Path("/api/v1/identity/mapping")
public class MappingResource {
    @Inject
    MappingStore store;

    @GET
    @Requires(Role.OPERATOR)
    @Produces(MediaType.APPLICATION_JSON)
    public Response get() {
        try {
            return Response.ok(store.current()).build();
        } catch (IllegalArgumentException e) {
            return Response.status(409).type(MediaType.APPLICATION_JSON).entity(new ErrorBody(e.getMessage())).build();
        }
    }

    @PUT
    @Requires(Role.ADMIN)
    @Consumes({MediaType.APPLICATION_JSON, "application/yaml", "application/x-yaml", "text/yaml", MediaType.TEXT_PLAIN})
    @Produces(MediaType.APPLICATION_JSON)
    public Response put(String body) {
        AccountMapping mapping;
        try {
            mapping = MappingFormat.parse(body);
        } catch (IllegalArgumentException e) {
            return Response.status(400).entity(new ErrorBody(e.getMessage())).build();
        }
        List<String> problems = store.replace(mapping);
        if (!problems.isEmpty()) {
            return Response.status(400).entity(new ErrorBody("mapping refused: " + problems.getFirst(), problems))
                    .build();
        }
        return Response.ok(mapping).build();
    }
}
