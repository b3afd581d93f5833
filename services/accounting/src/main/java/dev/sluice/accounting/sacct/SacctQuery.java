package dev.sluice.accounting.sacct;

import dev.sluice.contracts.job.JobState;

import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What one sacct call asks for, already checked. Empty lists mean "no filter". {@code start} is null only when
 * the caller named jobs and no start: like sacct, {@code -j} alone looks at all time.
 *
 * <p>Window semantics are Slurm's: a job is in [start, end] if it was eligible or running at some moment in it,
 * that is, it was submitted no later than {@code end} and had not ended before {@code start}.
 */
public record SacctQuery(List<Long> jobs, List<String> users, List<String> accounts, List<String> partitions,
                         List<String> states, Instant start, Instant end) {

    /**
     * Reads sacct-style parameters. Throws {@link IllegalArgumentException} with a message fit for the user.
     *
     * @param allUsers accepted for sacct compatibility: without an authenticated caller every user is shown
     *                 anyway, and {@code user} narrows it as {@code -u} does
     */
    public static SacctQuery parse(String jobs, String user, String account, String partition, String state,
                                   String start, String end, boolean allUsers, ZonedDateTime now) {
        List<Long> jobIds = new ArrayList<>();
        for (String j : split(jobs)) {
            jobIds.add(parseJobId(j));
        }
        List<String> states = new ArrayList<>();
        for (String s : split(state)) {
            states.add(JobState.parse(s).name());
        }
        Instant from = blank(start) ? null : TimeSpec.parse(start, now);
        Instant to = blank(end) ? now.toInstant() : TimeSpec.parse(end, now);
        if (from == null && jobIds.isEmpty()) {
            from = now.toLocalDate().atStartOfDay(now.getZone()).toInstant();
        }
        if (from != null && from.isAfter(to)) {
            throw new IllegalArgumentException("Start time (" + from + ") requested is after end time (" + to + ")");
        }
        return new SacctQuery(List.copyOf(jobIds), split(user), split(account), split(partition),
                List.copyOf(new LinkedHashSet<>(states)), from, to);
    }

    private static long parseJobId(String text) {
        // sacct accepts "42.batch" and "42_3" too; the job part selects the job.
        String id = text.split("[._]", 2)[0];
        try {
            long v = Long.parseLong(id);
            if (v <= 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Invalid job id: " + text);
        }
    }

    private static List<String> split(String csv) {
        if (blank(csv)) {
            return List.of();
        }
        Set<String> out = new LinkedHashSet<>();
        for (String part : csv.split(",")) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return List.copyOf(out);
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
