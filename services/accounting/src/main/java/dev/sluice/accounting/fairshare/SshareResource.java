package dev.sluice.accounting.fairshare;

import dev.sluice.accounting.admin.AdminService;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code GET /api/v1/sshare?users=&accounts=}: the association tree with shares and decayed usage, as sshare shows
 * it. Account lines are always there (narrowed by {@code accounts}); user lines only for {@code users}, or all of
 * them without it. bin/sshare passes the caller's name unless {@code -a} or {@code -u} says otherwise.
 */
@Path("/api/v1/sshare")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class SshareResource {
    public record Answer(String cluster, boolean fairTree, List<Sshare.Line> lines) {
    }

    @Inject
    FairshareService fairshare;
    @Inject
    AdminService admin;

    @GET
    public Answer sshare(@QueryParam("users") String users, @QueryParam("accounts") String accounts)
            throws SQLException {
        Set<String> u = set(users);
        Set<String> a = set(accounts);
        List<Sshare.Line> lines = fairshare.lines().stream()
                .filter(l -> a == null || a.contains(l.account()) || l.user().isEmpty() && l.level() == 0)
                .filter(l -> l.user().isEmpty() || u == null || u.contains(l.user()))
                .toList();
        if (a != null) {
            // sshare -A shows the named accounts without the root line
            lines = lines.stream().filter(l -> a.contains(l.account())).toList();
        }
        return new Answer(admin.cluster(), fairshare.fairTree(), lines);
    }

    private static Set<String> set(String csv) {
        if (csv == null || csv.isBlank()) {
            return null;
        }
        return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .collect(Collectors.toSet());
    }
}
