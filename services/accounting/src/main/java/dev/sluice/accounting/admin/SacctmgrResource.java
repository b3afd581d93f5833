package dev.sluice.accounting.admin;

import dev.sluice.accounting.api.BadRequestException;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * sacctmgr over REST. {@code POST /api/v1/sacctmgr} takes the command's words as sacctmgr takes them
 * ({@code {"args": ["add", "account", "ai_project", "Description=AI"]}}) and answers sacctmgr's text and, for
 * show/list, the rows; a refused command is a 400 with sacctmgr's message. {@code GET /api/v1/associations} and
 * {@code GET /api/v1/qos} are the read side for programs.
 */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class SacctmgrResource {
    public record Command(List<String> args) {
    }

    public record Answer(String text, List<Map<String, String>> rows, boolean changed) {
    }

    /** sacctmgr's verbs that change something: admins only when authentication is on; show/list for all. */
    private static final java.util.Set<String> CHANGES = java.util.Set.of("add", "create", "modify", "update",
            "delete", "remove");

    @Inject
    AdminService admin;

    @Inject
    dev.sluice.auth.Callers callers;

    @POST
    @Path("/sacctmgr")
    @Consumes(MediaType.APPLICATION_JSON)
    public Answer sacctmgr(Command command) throws Exception {
        if (command == null || command.args() == null || command.args().isEmpty()) {
            throw new BadRequestException("sacctmgr: error: No command given");
        }
        if (CHANGES.contains(command.args().getFirst().toLowerCase(java.util.Locale.ROOT))) {
            dev.sluice.auth.Caller caller = callers.current();
            if (!caller.has(dev.sluice.auth.Role.ADMIN)) {
                throw new dev.sluice.auth.AccessDenied(
                        dev.sluice.auth.Messages.needsRole(dev.sluice.auth.Role.ADMIN, caller));
            }
        }
        Sacctmgr.Outcome out = admin.run(command.args());
        if (out.rc() != 0) {
            throw new BadRequestException(out.text().stripTrailing());
        }
        return new Answer(out.text(), out.rows(), !out.changes().isEmpty());
    }

    @GET
    @Path("/associations")
    public List<Map<String, String>> associations(@QueryParam("user") String user,
                                                  @QueryParam("account") String account,
                                                  @QueryParam("partition") String partition,
                                                  @QueryParam("cluster") String cluster) throws Exception {
        List<String> args = new ArrayList<>(List.of("show", "association"));
        add(args, "user", user);
        add(args, "account", account);
        add(args, "partition", partition);
        add(args, "cluster", cluster);
        return show(args);
    }

    @GET
    @Path("/qos")
    public List<Map<String, String>> qos() throws Exception {
        return show(List.of("show", "qos"));
    }

    private List<Map<String, String>> show(List<String> args) throws Exception {
        Sacctmgr.Outcome out = admin.run(args);
        if (out.rc() != 0) {
            throw new BadRequestException(out.text().stripTrailing());
        }
        return out.rows();
    }

    private static void add(List<String> args, String key, String value) {
        if (value != null && !value.isBlank()) {
            args.add(key + "=" + value);
        }
    }
}
