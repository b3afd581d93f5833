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
import java.util.Map;
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
    public record Answer(String cluster, boolean fairTree, List<Row> lines) {
    }

    /**
     * A {@link Sshare.Line} with the columns of {@code sshare -l} that are not fairshare figures: the
     * association's {@code GrpTRESMins} limit and {@code TRESRunMins}, the TRES-minutes its running jobs still
     * hold (allocation times the rest of the time limit; an account line sums its subtree, as Slurm's does).
     */
    public record Row(String account, String user, String partition, int level, Integer rawShares,
                      double normShares, long rawUsage, double normUsage, double effectvUsage, Double fairShare,
                      Double levelFs, String grpTresMins, String tresRunMins) {
    }

    @Inject
    FairshareService fairshare;
    @Inject
    AdminService admin;
    @Inject
    javax.sql.DataSource dataSource;
    @Inject
    dev.sluice.accounting.billing.BillingConfig billing;

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
        var state = admin.snapshot();
        String cluster = admin.cluster();
        Map<String, long[]> run = runMinutes(state, cluster);
        List<Row> rows = lines.stream().map(l -> {
            var assoc = state.assocs.get(new dev.sluice.accounting.admin.AdminState.AssocKey(cluster, l.account(),
                    l.user(), ""));
            String grp = assoc == null ? "" : assoc.limits().getOrDefault("GrpTRESMins", "");
            long[] r = run.getOrDefault(Sshare.key(l.account(), l.user()), new long[5]);
            return new Row(l.account(), l.user(), "", l.level(), l.rawShares(), l.normShares(), l.rawUsage(),
                    l.normUsage(), l.effectvUsage(), l.fairShare(), l.levelFs(), grp, tres(r));
        }).toList();
        return new Answer(cluster, fairshare.fairTree(), rows);
    }

    /** Slurm prints every TRES, zeros too; GPUs only where a running job holds some. */
    private static String tres(long[] r) {
        return "cpu=" + r[0] + ",mem=" + r[1] + ",energy=0,node=" + r[2] + ",billing=" + r[3]
                + ",fs/disk=0,vmem=0,pages=0" + (r[4] > 0 ? ",gres/gpu=" + r[4] : "");
    }

    /**
     * TRES-minutes still held by running jobs per user association and, summed up the tree, per account:
     * cpu, mem (MB), node, billing, gres/gpu. Running jobs have no end time, so the end-time index finds them.
     */
    private Map<String, long[]> runMinutes(dev.sluice.accounting.admin.AdminState state, String cluster)
            throws SQLException {
        Map<String, long[]> out = new java.util.HashMap<>();
        java.time.Instant now = java.time.Instant.now();
        try (var c = dataSource.getConnection(); var p = c.prepareStatement("""
                SELECT account, user_name, partition_name, alloc_cpus, alloc_mem_mb, alloc_nodes, alloc_gpus,
                       COALESCE(alloc_gpu_type, gpu_type), start_time, time_limit_minutes
                FROM jobs WHERE end_time IS NULL AND state = 'RUNNING' AND start_time IS NOT NULL""");
             var r = p.executeQuery()) {
            while (r.next()) {
                long limit = r.getLong(10) * 60;
                long left = Math.max(0, limit - java.time.Duration.between(r.getTimestamp(9).toInstant(), now)
                        .toSeconds()) / 60;
                int cpus = r.getInt(4);
                long mem = r.getLong(5);
                int nodes = r.getInt(6);
                int gpus = r.getInt(7);
                long bill = billing.forPartition(r.getString(3)).billingCount(
                        new dev.sluice.accounting.billing.TresBilling.Alloc(cpus, mem, nodes,
                                dev.sluice.accounting.sacct.SacctReport.gres(gpus, r.getString(8))));
                long[] add = {cpus * left, mem * left, nodes * left, bill * left, gpus * left};
                String account = r.getString(1);
                plus(out, Sshare.key(account, r.getString(2)), add);
                // up the tree: the account and each parent
                java.util.Set<String> seen = new java.util.HashSet<>();
                for (String a = account; a != null && seen.add(a); a = parent(state, cluster, a)) {
                    plus(out, Sshare.key(a, ""), add);
                }
            }
        }
        return out;
    }

    private static String parent(dev.sluice.accounting.admin.AdminState state, String cluster, String account) {
        var a = state.assocs.get(new dev.sluice.accounting.admin.AdminState.AssocKey(cluster, account, "", ""));
        return a == null ? ("root".equals(account) ? null : "root") : a.parent();
    }

    private static void plus(Map<String, long[]> m, String key, long[] add) {
        long[] v = m.computeIfAbsent(key, k -> new long[add.length]);
        for (int i = 0; i < add.length; i++) {
            v[i] += add[i];
        }
    }

    private static Set<String> set(String csv) {
        if (csv == null || csv.isBlank()) {
            return null;
        }
        return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .collect(Collectors.toSet());
    }
}
