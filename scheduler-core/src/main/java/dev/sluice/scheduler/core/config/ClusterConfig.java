package dev.sluice.scheduler.core.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The cluster description in slurm.conf's words: {@code ClusterName=}, {@code NodeName=} and
 * {@code PartitionName=} lines (other {@code Key=Value} lines are kept as settings). Keys are case-insensitive as
 * in Slurm; values may be quoted. {@code NodeName=DEFAULT} and {@code PartitionName=DEFAULT} set defaults for the
 * lines after them.
 */
public record ClusterConfig(String clusterName, List<NodeDef> nodes, List<PartitionDef> partitions,
                            Map<String, String> settings) {

    /** A node line; {@code params} holds every other key (CPUs, RealMemory, Gres, Sockets, ...). */
    public record NodeDef(String name, Map<String, String> params) {
        public Optional<String> param(String key) {
            return Optional.ofNullable(params.get(key.toLowerCase(Locale.ROOT)));
        }
    }

    /** A partition line; {@code params} holds every other key (MaxNodes, PriorityTier, AllowGroups, ...). */
    public record PartitionDef(String name, String nodes, boolean isDefault, String state, Integer maxTimeMinutes,
                               Integer defaultTimeMinutes, Map<String, String> params) {
        public Optional<String> param(String key) {
            return Optional.ofNullable(params.get(key.toLowerCase(Locale.ROOT)));
        }

        public boolean isUp() {
            return state == null || state.equalsIgnoreCase("UP");
        }
    }

    public static final String DEFAULT_CLUSTER_NAME = "sluice";

    /**
     * What a cluster without a configuration file gets: one partition {@code cpu}, the default, over every node
     * that registers. The local runner writes this to its data folder on first start, for the admin to edit.
     */
    public static final String LOCAL_DEFAULT = String.join("\n",
            "# Sluice cluster configuration, in slurm.conf's words.",
            "ClusterName=" + DEFAULT_CLUSTER_NAME,
            "PartitionName=cpu Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
            "");

    /** The configuration in {@code file}, or {@link #LOCAL_DEFAULT} when no file is named. */
    public static ClusterConfig loadOrDefault(java.util.Optional<String> file) {
        return file.filter(f -> !f.isBlank()).map(f -> load(Path.of(f))).orElseGet(() -> parse(LOCAL_DEFAULT));
    }

    public static ClusterConfig load(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot read cluster configuration " + file + ": " + e.getMessage(), e);
        }
    }

    public static ClusterConfig parse(String text) {
        String clusterName = DEFAULT_CLUSTER_NAME;
        List<NodeDef> nodes = new ArrayList<>();
        List<PartitionDef> partitions = new ArrayList<>();
        Map<String, String> settings = new LinkedHashMap<>();
        Map<String, String> nodeDefaults = new LinkedHashMap<>();
        Map<String, String> partitionDefaults = new LinkedHashMap<>();
        int lineNo = 0;
        for (String raw : text.split("\n")) {
            lineNo++;
            String line = stripComment(raw).trim();
            if (line.isEmpty()) {
                continue;
            }
            Map<String, String> kv;
            try {
                kv = keyValues(line);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + lineNo + ": " + e.getMessage());
            }
            if (kv.containsKey("nodename")) {
                String name = kv.remove("nodename");
                if (name.equalsIgnoreCase("DEFAULT")) {
                    nodeDefaults.putAll(kv);
                    continue;
                }
                Map<String, String> params = new LinkedHashMap<>(nodeDefaults);
                params.putAll(kv);
                for (String n : Hostlist.expand(name)) {
                    nodes.add(new NodeDef(n, Collections.unmodifiableMap(params)));
                }
            } else if (kv.containsKey("partitionname")) {
                String name = kv.remove("partitionname");
                if (name.equalsIgnoreCase("DEFAULT")) {
                    partitionDefaults.putAll(kv);
                    continue;
                }
                Map<String, String> params = new LinkedHashMap<>(partitionDefaults);
                params.putAll(kv);
                partitions.add(new PartitionDef(name, params.getOrDefault("nodes", "ALL"),
                        "yes".equalsIgnoreCase(params.get("default")), params.getOrDefault("state", "UP"),
                        minutes(params.get("maxtime"), lineNo), minutes(params.get("defaulttime"), lineNo),
                        Collections.unmodifiableMap(params)));
            } else {
                for (var e : kv.entrySet()) {
                    if (e.getKey().equals("clustername")) {
                        clusterName = e.getValue();
                    } else {
                        settings.put(e.getKey(), e.getValue());
                    }
                }
            }
        }
        return new ClusterConfig(clusterName, List.copyOf(nodes), List.copyOf(partitions), settings);
    }

    public Optional<PartitionDef> partition(String name) {
        return partitions.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    public Optional<PartitionDef> defaultPartition() {
        return partitions.stream().filter(PartitionDef::isDefault).findFirst()
                .or(() -> partitions.stream().findFirst());
    }

    /** Slurm time syntax in minutes: {@code M}, {@code M:S}, {@code H:M:S}, {@code D-H}, {@code D-H:M}, {@code D-H:M:S}. Null for INFINITE/UNLIMITED. */
    public static Integer minutes(String value, int lineNo) {
        if (value == null) {
            return null;
        }
        try {
            return SlurmTime.parseMinutes(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("line " + lineNo + ": " + e.getMessage());
        }
    }

    private static String stripComment(String line) {
        int hash = line.indexOf('#');
        return hash < 0 ? line : line.substring(0, hash);
    }

    private static Map<String, String> keyValues(String line) {
        Map<String, String> kv = new LinkedHashMap<>();
        int i = 0;
        int n = line.length();
        while (i < n) {
            while (i < n && Character.isWhitespace(line.charAt(i))) {
                i++;
            }
            if (i >= n) {
                break;
            }
            int eq = line.indexOf('=', i);
            if (eq < 0) {
                throw new IllegalArgumentException("expected Key=Value at '" + line.substring(i) + "'");
            }
            String key = line.substring(i, eq).trim().toLowerCase(Locale.ROOT);
            i = eq + 1;
            StringBuilder value = new StringBuilder();
            if (i < n && line.charAt(i) == '"') {
                int close = line.indexOf('"', i + 1);
                if (close < 0) {
                    throw new IllegalArgumentException("unterminated quote after " + key + "=");
                }
                value.append(line, i + 1, close);
                i = close + 1;
            } else {
                while (i < n && !Character.isWhitespace(line.charAt(i))) {
                    value.append(line.charAt(i++));
                }
            }
            kv.put(key, value.toString());
        }
        return kv;
    }
}
