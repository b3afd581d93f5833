package dev.sluice.nodeagent.discovery;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a node offers, read from /sys and /proc. Topology is computed over the node's own CPU slice, so an agent
 * owning CPUs 0-1 of a bigger host reports only the cores those CPUs sit on.
 */
public record NodeHardware(String hostname, List<Integer> cpuIds, int sockets, int coresPerSocket,
                           int threadsPerCore, long memoryMb) {

    public static NodeHardware discover(Path sys, Path proc, Optional<String> cpus, Optional<Long> memoryMb) {
        List<Integer> online = CpuList.parse(read(sys.resolve("devices/system/cpu/online")).orElse("0"));
        List<Integer> ids = cpus.map(CpuList::parse).orElse(online);
        if (ids.isEmpty()) {
            throw new IllegalArgumentException("Invalid CPU list: " + cpus.orElse(""));
        }
        for (Integer id : ids) {
            if (!online.contains(id)) {
                throw new IllegalArgumentException("CPU " + id + " is not online on this host (online: "
                        + read(sys.resolve("devices/system/cpu/online")).orElse("?") + ")");
            }
        }
        // socket -> distinct cores; core -> threads, over the slice only
        Map<Integer, Set<Integer>> coresBySocket = new TreeMap<>();
        Map<String, Integer> threadsByCore = new TreeMap<>();
        for (int id : ids) {
            Path topo = sys.resolve("devices/system/cpu/cpu" + id + "/topology");
            int socket = read(topo.resolve("physical_package_id")).map(Integer::parseInt).orElse(0);
            int core = read(topo.resolve("core_id")).map(Integer::parseInt).orElse(id);
            coresBySocket.computeIfAbsent(socket, s -> new HashSet<>()).add(core);
            threadsByCore.merge(socket + "/" + core, 1, Integer::sum);
        }
        int sockets = Math.max(1, coresBySocket.size());
        int cores = threadsByCore.size();
        int threadsPerCore = threadsByCore.values().stream().max(Integer::compare).orElse(1);
        int coresPerSocket = Math.max(1, cores / sockets);
        long mem = memoryMb.orElseGet(() -> memTotalMb(proc));
        String host = read(proc.resolve("sys/kernel/hostname")).orElse("localhost");
        return new NodeHardware(host, List.copyOf(ids), sockets, coresPerSocket, threadsPerCore, mem);
    }

    /** The host name up to its first dot, as Slurm names nodes by default. */
    public String shortHostname() {
        int dot = hostname.indexOf('.');
        return dot < 0 ? hostname : hostname.substring(0, dot);
    }

    static long memTotalMb(Path proc) {
        for (String line : lines(proc.resolve("meminfo"))) {
            if (line.startsWith("MemTotal:")) {
                String[] f = line.split("\\s+");
                return Long.parseLong(f[1]) / 1024;
            }
        }
        return 0;
    }

    private static Optional<String> read(Path p) {
        try {
            return Optional.of(Files.readString(p).trim());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static List<String> lines(Path p) {
        try {
            return Files.readAllLines(p);
        } catch (IOException e) {
            return List.of();
        }
    }
}
