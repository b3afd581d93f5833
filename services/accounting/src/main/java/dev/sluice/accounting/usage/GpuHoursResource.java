package dev.sluice.accounting.usage;

import dev.sluice.accounting.api.BadRequestException;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * {@code GET /api/v1/usage/gpu-hours?days=30}: GPU-hours by account over the last N days (the part of each job's
 * run inside the window), heaviest first. The page {@code /usage.html} draws it.
 */
@Path("/api/v1/usage/gpu-hours")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class GpuHoursResource {
    public record AccountHours(String account, double gpuHours) {
    }

    public record Answer(Instant start, Instant end, int days, List<AccountHours> accounts) {
    }

    @Inject
    DataSource dataSource;

    @GET
    public Answer gpuHours(@QueryParam("days") Integer days) throws SQLException {
        int d = days == null ? 30 : days;
        if (d < 1 || d > 3660) {
            throw new BadRequestException("days must be between 1 and 3660");
        }
        Instant end = Instant.now();
        Instant start = end.minus(Duration.ofDays(d));
        List<AccountHours> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement p = c.prepareStatement("""
                     SELECT coalesce(account, ''), sum(alloc_gpus * extract(epoch FROM
                            least(coalesce(end_time, ?), ?) - greatest(start_time, ?))) / 3600.0 AS h
                     FROM jobs WHERE start_time IS NOT NULL AND alloc_gpus > 0 AND start_time < ?
                       AND (end_time IS NULL OR end_time > ?)
                     GROUP BY 1 ORDER BY h DESC, 1""")) {
            Timestamp e = Timestamp.from(end);
            Timestamp s = Timestamp.from(start);
            p.setTimestamp(1, e);
            p.setTimestamp(2, e);
            p.setTimestamp(3, s);
            p.setTimestamp(4, e);
            p.setTimestamp(5, s);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(new AccountHours(r.getString(1), r.getDouble(2)));
                }
            }
        }
        return new Answer(start, end, d, out);
    }
}
