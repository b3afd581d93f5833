package dev.sluice.accounting.report;

import dev.sluice.accounting.admin.AdminService;
import dev.sluice.accounting.admin.AdminState;
import dev.sluice.accounting.api.BadRequestException;
import dev.sluice.accounting.billing.BillingConfig;
import dev.sluice.accounting.billing.TresBilling;
import dev.sluice.accounting.sacct.TimeSpec;
import dev.sluice.scheduler.core.config.ClusterConfig;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.sql.DataSource;

/**
 * {@code GET /api/v1/sreport/{report}}: cluster Utilization, AccountUtilizationByUser, UserUtilizationByAccount
 * in TRES-seconds (the CLI turns them into minutes, hours or percent). start/end take sacct's time words; the
 * window defaults to yesterday, and both ends are cut to the hour as sreport does.
 */
@Path("/api/v1/sreport")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class SreportResource {
    public record Report(String report, String cluster, Instant start, Instant end, long seconds, String tres,
                         double allocated, double reported, List<UsageReport.Line> lines) {
    }

    @Inject
    DataSource dataSource;
    @Inject
    BillingConfig billing;
    @Inject
    AdminService admin;

    Clock clock = Clock.systemDefaultZone();

    @GET
    @Path("/{report}")
    public Report report(@PathParam("report") String report, @QueryParam("start") String start,
                         @QueryParam("end") String end, @QueryParam("tres") String tres) throws SQLException {
        ZonedDateTime now = ZonedDateTime.now(clock);
        Instant from;
        Instant to;
        try {
            ZonedDateTime midnight = now.truncatedTo(ChronoUnit.DAYS);
            from = start == null || start.isBlank() ? midnight.minusDays(1).toInstant() : TimeSpec.parse(start, now);
            to = end == null || end.isBlank() ? midnight.toInstant() : TimeSpec.parse(end, now);
        } catch (IllegalArgumentException e) {
            throw new BadRequestException(e.getMessage());
        }
        from = from.truncatedTo(ChronoUnit.HOURS);
        to = to.truncatedTo(ChronoUnit.HOURS);
        if (!to.isAfter(from)) {
            throw new BadRequestException("Start time (" + from + ") requested is after end time (" + to + ")");
        }
        String t = tres == null || tres.isBlank() ? "cpu" : tres.toLowerCase(Locale.ROOT);
        if (!List.of("cpu", "mem", "gres/gpu", "billing").contains(t) && !t.matches("gres/gpu:[a-z0-9_.-]+")) {
            throw new BadRequestException("Unknown TRES: " + tres);
        }
        List<UsageReport.Span> spans = spans(from, to);
        Instant n = now.toInstant();
        double allocated = UsageReport.allocated(spans, from, to, n, t);
        long seconds = Duration.between(from, to).toSeconds();
        double capacity = capacity(billing.cluster(), t) * seconds;
        // Without node definitions in the config the cluster's size is unknown: report what was allocated.
        double reported = capacity > 0 ? Math.max(capacity, allocated) : allocated;
        String cluster = admin.cluster();
        List<UsageReport.Line> lines = switch (report.toLowerCase(Locale.ROOT)) {
            case "utilization" -> List.of();
            case "accountutilizationbyuser" -> {
                Map<String, String> parents = new HashMap<>();
                AdminState s = admin.snapshot();
                for (AdminState.Assoc a : s.assocs.values()) {
                    if (!a.key().isUser() && a.key().cluster().equals(cluster)) {
                        parents.put(a.key().account(), a.parent());
                    }
                }
                yield UsageReport.byAccountAndUser(spans, from, to, n, t, parents);
            }
            case "userutilizationbyaccount" -> UsageReport.byUserAndAccount(spans, from, to, n, t);
            default -> throw new BadRequestException("Not valid report: " + report);
        };
        return new Report(report, cluster, from, to, seconds, t, allocated, reported, lines);
    }

    private List<UsageReport.Span> spans(Instant from, Instant to) throws SQLException {
        List<UsageReport.Span> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement p = c.prepareStatement("""
                     SELECT job_id, account, user_name, partition_name, start_time, end_time, alloc_cpus,
                            alloc_mem_mb, alloc_nodes, alloc_gpus, COALESCE(alloc_gpu_type, gpu_type)
                     FROM jobs WHERE start_time IS NOT NULL AND start_time < ? AND (end_time IS NULL OR end_time > ?)
                     """)) {
            p.setTimestamp(1, Timestamp.from(to));
            p.setTimestamp(2, Timestamp.from(from));
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    long cpus = r.getLong(7);
                    long mem = r.getLong(8);
                    int nodes = Math.max(1, r.getInt(9));
                    long gpus = r.getLong(10);
                    Timestamp end = r.getTimestamp(6);
                    String gpuType = r.getString(11);
                    TresBilling b = billing.forPartition(r.getString(4));
                    double billed = b.billingCount(new TresBilling.Alloc((int) cpus, mem, nodes,
                            dev.sluice.accounting.sacct.SacctReport.gres((int) gpus, gpuType)));
                    out.add(new UsageReport.Span(r.getLong(1), r.getString(2), r.getString(3),
                            r.getTimestamp(5).toInstant(), end == null ? null : end.toInstant(), cpus, mem, gpus,
                            gpuType, billed));
                }
            }
        }
        return out;
    }

    static double capacity(ClusterConfig config, String tres) {
        double sum = 0;
        for (ClusterConfig.NodeDef n : config.nodes()) {
            switch (tres) {
                case "cpu" -> sum += n.param("CPUs").map(Double::parseDouble).orElse(0.0);
                case "mem" -> sum += n.param("RealMemory").map(Double::parseDouble).orElse(0.0);
                case "gres/gpu" -> sum += gpus(n.param("Gres").orElse(""));
                default -> {
                    if (tres.startsWith("gres/gpu:")) {
                        sum += gpus(n.param("Gres").orElse(""), tres.substring("gres/gpu:".length()));
                    }
                }
            }
        }
        return sum;
    }

    /** GPUs of one type in a node's Gres (gpu:h100:4,gpu:a100:2 has 4 of h100). */
    static int gpus(String gres, String type) {
        int n = 0;
        for (String g : gres.split(",")) {
            String[] parts = g.trim().split(":");
            if (parts.length == 3 && parts[0].equals("gpu") && parts[1].equals(type)) {
                n += gpus(g);
            }
        }
        return n;
    }

    static int gpus(String gres) {
        int n = 0;
        for (String g : gres.split(",")) {
            String[] parts = g.trim().split(":");
            if (parts.length >= 2 && parts[0].equals("gpu")) {
                try {
                    n += Integer.parseInt(parts[parts.length - 1].replaceAll("\\(.*\\)", ""));
                } catch (NumberFormatException e) {
                    // a malformed Gres counts nothing rather than breaking the report
                }
            }
        }
        return n;
    }
}
