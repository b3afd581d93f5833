package dev.sluice.identity.api;

import dev.sluice.identity.state.GroupState;
import dev.sluice.identity.state.UserState;
import dev.sluice.identity.sync.IdentityService;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.List;

/** What identity last published: {@code /api/v1/identity/users[/{name}]} and {@code /groups[/{name}]}. */
@Path("/api/v1/identity")
@Produces(MediaType.APPLICATION_JSON)
public class DirectoryResource {
    @Inject
    IdentityService service;

    @GET
    @Path("users")
    public List<UserState> users() {
        return List.copyOf(service.engine().published().users().values());
    }

    @GET
    @Path("users/{name}")
    public Response user(@PathParam("name") String name) {
        UserState u = service.engine().published().users().get(name);
        return u == null ? Response.status(404).entity(new ErrorBody("Invalid user: " + name)).build()
                : Response.ok(u).build();
    }

    @GET
    @Path("groups")
    public List<GroupState> groups() {
        return List.copyOf(service.engine().published().groups().values());
    }

    @GET
    @Path("groups/{name}")
    public Response group(@PathParam("name") String name) {
        GroupState g = service.engine().published().groups().get(name);
        return g == null ? Response.status(404).entity(new ErrorBody("Invalid group: " + name)).build()
                : Response.ok(g).build();
    }
}
