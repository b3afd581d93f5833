package dev.sluice.accounting.admin;

import dev.sluice.scheduler.core.config.SlurmTime;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Slurm's limit names, their aliases, and the checks on their values. TRES-valued limits merge per TRES as
 * sacctmgr does (GrpTRES=gres/gpu=2 keeps an existing cpu=8; cpu=-1 removes it); -1 clears a scalar limit.
 */
final class Limits {
    enum Kind { COUNT, TRES, WALL }

    record Def(String name, Kind kind, String tresOf) {
    }

    /** Association limits by lower-case spelling (aliases included). */
    static final Map<String, Def> ASSOC = new LinkedHashMap<>();
    /** QoS limits by lower-case spelling (aliases included). */
    static final Map<String, Def> QOS = new LinkedHashMap<>();

    static {
        put(ASSOC, Kind.TRES, null, "GrpTRES");
        put(ASSOC, Kind.TRES, "cpu", "GrpTRES", "grpcpus");
        put(ASSOC, Kind.TRES, null, "GrpTRESRunMins");
        put(ASSOC, Kind.TRES, "cpu", "GrpTRESRunMins", "grpcpurunmins");
        put(ASSOC, Kind.TRES, null, "GrpTRESMins");
        put(ASSOC, Kind.TRES, "cpu", "GrpTRESMins", "grpcpumins");
        put(ASSOC, Kind.COUNT, null, "GrpJobs");
        put(ASSOC, Kind.COUNT, null, "GrpSubmitJobs", "grpsubmit");
        put(ASSOC, Kind.WALL, null, "GrpWall");
        put(ASSOC, Kind.COUNT, null, "MaxJobs");
        put(ASSOC, Kind.COUNT, null, "MaxSubmitJobs", "maxsubmit");
        put(ASSOC, Kind.TRES, null, "MaxTRESPerJob", "maxtres");
        put(ASSOC, Kind.TRES, "cpu", "MaxTRESPerJob", "maxcpus");
        put(ASSOC, Kind.TRES, null, "MaxTRESPerNode");
        put(ASSOC, Kind.WALL, null, "MaxWall", "maxwalldurationperjob");

        put(QOS, Kind.TRES, null, "GrpTRES");
        put(QOS, Kind.COUNT, null, "GrpJobs");
        put(QOS, Kind.COUNT, null, "GrpSubmitJobs", "grpsubmit");
        put(QOS, Kind.TRES, null, "MaxTRESPerUser", "maxtrespu");
        put(QOS, Kind.COUNT, null, "MaxJobsPerUser", "maxjobspu");
        put(QOS, Kind.COUNT, null, "MaxSubmitJobsPerUser", "maxsubmitjobspu", "maxsubmitpu");
        put(QOS, Kind.TRES, null, "MaxTRESPerJob", "maxtres");
        put(QOS, Kind.WALL, null, "MaxWall", "maxwalldurationperjob");
    }

    private static void put(Map<String, Def> m, Kind kind, String tresOf, String name, String... aliases) {
        Def d = new Def(name, kind, tresOf);
        if (tresOf == null) {
            m.put(name.toLowerCase(Locale.ROOT), d);
        }
        for (String a : aliases) {
            m.put(a, d);
        }
    }

    private static final List<String> TRES_ORDER = List.of("cpu", "mem", "energy", "node", "billing");

    private Limits() {
    }

    /** Applies {@code value} for limit {@code d} to {@code limits} (merging TRES lists); refuses bad values. */
    static void apply(Map<String, String> limits, Def d, String value) {
        String v = value.trim();
        switch (d.kind()) {
            case COUNT -> {
                long n = count(d.name(), v);
                if (n < 0) {
                    limits.remove(d.name());
                } else {
                    limits.put(d.name(), Long.toString(n));
                }
            }
            case WALL -> {
                if (v.equals("-1")) {
                    limits.remove(d.name());
                } else {
                    Integer minutes = SlurmTime.parseMinutes(v);
                    if (minutes == null || minutes < 0) {
                        throw new IllegalArgumentException(" Bad " + d.name() + " time format: " + v);
                    }
                    limits.put(d.name(), SlurmTime.formatMinutes(minutes));
                }
            }
            case TRES -> {
                Map<String, String> tres = parseTres(limits.getOrDefault(d.name(), ""));
                String spec = d.tresOf() == null ? v : d.tresOf() + "=" + v;
                for (Map.Entry<String, String> e : parseTres(spec).entrySet()) {
                    if (e.getValue().equals("-1")) {
                        tres.remove(e.getKey());
                    } else {
                        tres.put(e.getKey(), e.getValue());
                    }
                }
                if (tres.isEmpty()) {
                    limits.remove(d.name());
                } else {
                    limits.put(d.name(), formatTres(tres));
                }
            }
        }
    }

    static long count(String name, String v) {
        try {
            long n = Long.parseLong(v);
            if (n < -1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(" Bad " + name + " value: " + v);
        }
    }

    /** "cpu=4,gres/gpu:h100=2,mem=10G" into a map; refuses unknown TRES names and non-numeric counts. */
    static Map<String, String> parseTres(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            return out;
        }
        for (String part : text.split(",")) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("Invalid TRES specification: " + part);
            }
            String name = part.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            String value = part.substring(eq + 1).trim();
            boolean known = TRES_ORDER.contains(name) || name.matches("(gres|license|fs|bb)/[a-z0-9_.-]+(:[a-z0-9_.-]+)?");
            if (!known) {
                throw new IllegalArgumentException("Invalid TRES specification: " + part);
            }
            String pattern = name.equals("mem") ? "-1|[0-9]+[KMGTkmgt]?" : "-1|[0-9]+";
            if (!value.matches(pattern)) {
                throw new IllegalArgumentException("Invalid TRES specification: " + part);
            }
            out.put(name, name.equals("mem") ? value.toUpperCase(Locale.ROOT) : value);
        }
        return out;
    }

    /** Slurm's TRES order: cpu, mem, energy, node, billing, then the rest by name. */
    static String formatTres(Map<String, String> tres) {
        return tres.entrySet().stream()
                .sorted((a, b) -> {
                    int ia = rank(a.getKey());
                    int ib = rank(b.getKey());
                    return ia != ib ? Integer.compare(ia, ib) : a.getKey().compareTo(b.getKey());
                })
                .map(e -> e.getKey() + "=" + e.getValue())
                .reduce((a, b) -> a + "," + b).orElse("");
    }

    private static int rank(String tres) {
        int i = TRES_ORDER.indexOf(tres);
        return i < 0 ? TRES_ORDER.size() : i;
    }
}
