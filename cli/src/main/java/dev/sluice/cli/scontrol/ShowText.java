package dev.sluice.cli.scontrol;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.cli.common.Context;
import dev.sluice.cli.common.SlurmText;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static dev.sluice.cli.scontrol.Controller.has;
import static dev.sluice.cli.scontrol.Controller.num;
import static dev.sluice.cli.scontrol.Controller.strings;
import static dev.sluice.cli.scontrol.Controller.text;

/** scontrol show's records: Slurm's key=value lines, the first flush left and the rest indented three spaces. */
final class ShowText {
    private ShowText() {
    }

    static String job(JsonNode j, Context ctx) {
        return job(j, ctx, false);
    }

    /** With {@code details} (scontrol -d), a line per node of the allocation: its CPU ids, memory and GPU indices. */
    static String job(JsonNode j, Context ctx, boolean details) {
        Instant now = ctx.clock().instant();
        Instant submit = SlurmText.parseInstant(text(j, "submitTime", null), ctx.zone());
        Instant start = SlurmText.parseInstant(text(j, "startTime", null), ctx.zone());
        Instant end = SlurmText.parseInstant(text(j, "endTime", null), ctx.zone());
        Instant eligible = SlurmText.parseInstant(text(j, "eligibleTime", null), ctx.zone());
        String state = text(j, "state", "PENDING").toUpperCase(Locale.ROOT);
        boolean pending = state.equals("PENDING");
        long runSecs = start == null || pending ? 0 : Math.max(0, Duration.between(start, end != null ? end : now).toSeconds());
        String nodes = text(j, "nodes", null);
        Long limit = has(j, "timeLimitMinutes") && num(j, "timeLimitMinutes", 0) > 0 ? num(j, "timeLimitMinutes", 0) : null;
        long uid = num(j, "uid", -1);
        long gid = num(j, "gid", -1);
        String user = text(j, "user", "(null)");
        String id = text(j, "jobId", "0");
        String arrayJob = text(j, "arrayJobId", null);
        List<String> l = new ArrayList<>();
        l.add("JobId=" + id + (arrayJob != null ? " ArrayJobId=" + arrayJob + " ArrayTaskId=" + text(j, "arrayTaskId", "N/A") : "")
                + " JobName=" + text(j, "name", "(null)"));
        l.add("UserId=" + user + "(" + (uid < 0 ? "N/A" : uid) + ") GroupId=" + group(gid) + "(" + (gid < 0 ? "N/A" : gid)
                + ") MCS_label=N/A");
        l.add("Priority=" + text(j, "priority", "N/A") + " Nice=" + text(j, "nice", "0") + " Account="
                + text(j, "account", "(null)") + " QOS=" + text(j, "qos", "normal"));
        String reason = text(j, "reason", "None");
        l.add("JobState=" + state + " Reason=" + (reason.isBlank() ? "None" : reason) + " Dependency="
                + text(j, "dependency", "(null)"));
        l.add("Requeue=" + (j.path("requeue").asBoolean(false) ? 1 : 0) + " Restarts=" + text(j, "restarts", "0")
                + " BatchFlag=1 Reboot=0 ExitCode=" + text(j, "exitCode", "0") + ":" + text(j, "signal", "0"));
        l.add("RunTime=" + SlurmText.elapsed(runSecs) + " TimeLimit=" + SlurmText.mins2time(limit) + " TimeMin=N/A");
        l.add("SubmitTime=" + time(submit, ctx) + " EligibleTime=" + time(eligible != null ? eligible : submit, ctx));
        l.add("StartTime=" + time(start, ctx) + " EndTime=" + time(end, ctx) + " Deadline=N/A");
        l.add("Partition=" + text(j, "partition", "(null)") + " AllocNode:Sid=" + text(j, "allocNode", "(null)"));
        l.add("ReqNodeList=" + text(j, "reqNodes", "(null)") + " ExcNodeList=" + text(j, "excNodes", "(null)"));
        l.add("NodeList=" + (nodes == null || nodes.isBlank() || pending ? "(null)" : nodes));
        if (!pending && nodes != null && !nodes.isBlank()) {
            l.add("BatchHost=" + firstHost(nodes));
        }
        long cpus = num(j, "numCpus", 1);
        long numNodes = num(j, "numNodes", 1);
        l.add("NumNodes=" + numNodes + " NumCPUs=" + cpus + " NumTasks=" + text(j, "ntasks", "1") + " CPUs/Task="
                + text(j, "cpusPerTask", "1") + " ReqB:S:C:T=0:0:*:*");
        long mem = num(j, "memMb", 0);
        StringBuilder tres = new StringBuilder("cpu=" + cpus);
        if (mem > 0) {
            tres.append(",mem=").append(tresMem(mem));
        }
        tres.append(",node=").append(numNodes);
        long gpus = has(j, "gpus") ? num(j, "gpus", 0) : gpuCount(text(j, "gres", "").replace("gres/", "")) * numNodes;
        if (gpus > 0) {
            tres.append(",gres/gpu=").append(gpus);
        }
        l.add("TRES=" + tres);
        if (details && j.path("layout").isArray()) {
            for (JsonNode share : j.get("layout")) {
                List<Long> gpuIds = new ArrayList<>();
                share.path("gpuIds").forEach(g -> gpuIds.add(g.asLong()));
                List<Long> cpuIds = new ArrayList<>();
                share.path("cpuIds").forEach(c -> cpuIds.add(c.asLong()));
                // Slurm indents these five spaces instead of three.
                l.add("  Nodes=" + text(share, "node", "") + " CPU_IDs=" + ranges(cpuIds) + " Mem="
                        + num(share, "memMb", 0) + " GRES=" + (gpuIds.isEmpty() ? "" : "gpu:" + gpuIds.size()
                        + "(IDX:" + ranges(gpuIds) + ")"));
            }
        }
        if (has(j, "gres")) {
            l.add("TresPerNode=" + text(j, "gres", ""));
        }
        l.add("MinMemoryNode=" + (mem > 0 ? SlurmText.size(mem, 'M') : "0") + " MinTmpDiskNode=0");
        l.add("Command=" + text(j, "command", "(null)"));
        l.add("WorkDir=" + text(j, "workDir", "(null)"));
        String workDir = text(j, "workDir", "");
        l.add("StdErr=" + path(text(j, "stderr", text(j, "stdout", "slurm-%j.out")), workDir, id));
        l.add("StdIn=/dev/null");
        l.add("StdOut=" + path(text(j, "stdout", "slurm-%j.out"), workDir, id));
        return record(l);
    }

    static String node(JsonNode n, Context ctx) {
        String name = text(n, "name", "");
        long cpus = num(n, "cpus", 0);
        long alloc = num(n, "allocCpus", 0);
        long mem = num(n, "memory", 0);
        long allocMem = num(n, "allocMem", 0);
        long sockets = num(n, "sockets", 1);
        long threads = num(n, "threadsPerCore", 1);
        long cores = num(n, "coresPerSocket", Math.max(1, cpus / Math.max(1, sockets) / Math.max(1, threads)));
        String gres = gres(n);
        String features = String.join(",", strings(n, "features"));
        List<String> l = new ArrayList<>();
        l.add("NodeName=" + name + " Arch=" + text(n, "arch", "x86_64") + " CoresPerSocket=" + cores);
        l.add("CPUAlloc=" + alloc + " CPUEfctv=" + cpus + " CPUTot=" + cpus + " CPULoad=" + text(n, "cpuLoad", "N/A"));
        l.add("AvailableFeatures=" + (features.isEmpty() ? "(null)" : features));
        l.add("ActiveFeatures=" + (features.isEmpty() ? "(null)" : features));
        l.add("Gres=" + (gres.isEmpty() ? "(null)" : gres));
        l.add("NodeAddr=" + host(text(n, "address", name)) + " NodeHostName=" + text(n, "hostname", name));
        l.add("RealMemory=" + mem + " AllocMem=" + allocMem + " FreeMem=" + text(n, "freeMem", "N/A") + " Sockets="
                + sockets + " Boards=1");
        l.add("State=" + state(n) + " ThreadsPerCore=" + threads + " TmpDisk=0 Weight=" + num(n, "weight", 1)
                + " Owner=N/A MCS_label=N/A");
        l.add("Partitions=" + String.join(",", strings(n, "partitions")));
        long gpus = gpuCount(gres);
        l.add("CfgTRES=cpu=" + cpus + ",mem=" + tresMem(mem) + ",billing=" + cpus
                + (gpus > 0 ? ",gres/gpu=" + gpus : ""));
        List<String> at = new ArrayList<>();
        if (alloc > 0) {
            at.add("cpu=" + alloc);
        }
        if (allocMem > 0) {
            at.add("mem=" + tresMem(allocMem));
        }
        if (num(n, "allocGpus", 0) > 0) {
            at.add("gres/gpu=" + num(n, "allocGpus", 0));
        }
        l.add("AllocTRES=" + String.join(",", at));
        String reason = text(n, "reason", "");
        if (!reason.isBlank() && !reason.equalsIgnoreCase("None")) {
            String who = text(n, "reasonUser", null);
            Instant when = SlurmText.parseInstant(text(n, "reasonTime", null), ctx.zone());
            l.add("Reason=" + reason + (who != null || when != null
                    ? " [" + (who == null ? "slurm" : who) + "@" + time(when, ctx) + "]" : ""));
        }
        return record(l);
    }

    static String partition(JsonNode p, List<JsonNode> allNodes) {
        String name = text(p, "name", "");
        List<JsonNode> members = allNodes.stream().filter(n -> strings(n, "partitions").contains(name)).toList();
        long cpus = has(p, "totalCpus") ? num(p, "totalCpus", 0) : members.stream().mapToLong(n -> num(n, "cpus", 0)).sum();
        long mem = members.stream().mapToLong(n -> num(n, "memory", 0)).sum();
        long gpus = members.stream().mapToLong(n -> gpuCount(gres(n))).sum();
        List<String> l = new ArrayList<>();
        l.add("PartitionName=" + name);
        l.add("AllowGroups=" + all(p, "allowGroups") + " AllowAccounts=" + all(p, "allowAccounts") + " AllowQos="
                + all(p, "allowQos"));
        l.add("AllocNodes=ALL Default=" + (p.path("default").asBoolean(false) ? "YES" : "NO") + " QoS="
                + text(p, "qos", "N/A"));
        l.add("DefaultTime=" + text(p, "defaultTime", "NONE") + " DisableRootJobs=NO ExclusiveUser=NO GraceTime=0 Hidden=NO");
        long maxNodes = num(p, "maxNodes", 0);
        long maxCpus = num(p, "maxCpusPerNode", 0);
        l.add("MaxNodes=" + (maxNodes > 0 ? maxNodes : "UNLIMITED") + " MaxTime=" + text(p, "maxTime", "UNLIMITED")
                + " MinNodes=0 LLN=NO MaxCPUsPerNode=" + (maxCpus > 0 ? maxCpus : "UNLIMITED"));
        l.add("Nodes=" + text(p, "nodes", "(null)"));
        l.add("PriorityJobFactor=" + num(p, "priorityJobFactor", 1) + " PriorityTier=" + num(p, "priorityTier", 1)
                + " RootOnly=NO ReqResv=NO OverSubscribe=" + text(p, "overSubscribe", "NO").toUpperCase(Locale.ROOT));
        l.add("OverTimeLimit=NONE PreemptMode=OFF");
        l.add("State=" + text(p, "state", "UP").toUpperCase(Locale.ROOT) + " TotalCPUs=" + cpus + " TotalNodes="
                + members.size() + " SelectTypeParameters=NONE");
        l.add("JobDefaults=(null)");
        l.add("DefMemPerNode=UNLIMITED MaxMemPerNode=UNLIMITED");
        l.add("TRES=cpu=" + cpus + (mem > 0 ? ",mem=" + tresMem(mem) : "") + ",node=" + members.size()
                + ",billing=" + cpus + (gpus > 0 ? ",gres/gpu=" + gpus : ""));
        if (has(p, "grpTres")) {
            l.add("GrpTRES=" + text(p, "grpTres", ""));
        }
        if (has(p, "tresBillingWeights")) {
            l.add("TRESBillingWeights=" + text(p, "tresBillingWeights", ""));
        }
        return record(l);
    }

    /** scontrol's node state: drain and not-responding are flags on the base state, as Slurm prints them. */
    static String state(JsonNode n) {
        String s = text(n, "state", "UNKNOWN").toUpperCase(Locale.ROOT);
        long cpus = num(n, "cpus", 0);
        long alloc = num(n, "allocCpus", 0);
        String busy = alloc == 0 ? "IDLE" : alloc >= cpus ? "ALLOCATED" : "MIXED";
        String out = switch (s) {
            case "DRAINED" -> "IDLE+DRAIN";
            case "DRAINING" -> busy + "+DRAIN";
            default -> s;
        };
        JsonNode r = n.get("responding");
        return r != null && r.isBoolean() && !r.asBoolean() ? out + "+NOT_RESPONDING" : out;
    }

    static String gres(JsonNode n) {
        JsonNode g = n.get("gres");
        if (g == null || g.isNull()) {
            return "";
        }
        return g.isArray() ? String.join(",", strings(n, "gres")) : g.asText();
    }

    /** The GPU count of a GRES text such as {@code gpu:h100:4(S:0),gpu:h100:4(S:1)}. */
    static long gpuCount(String gres) {
        long total = 0;
        for (String part : gres.split(",")) {
            String p = part.replaceAll("\\(.*\\)", "").trim();
            if (p.startsWith("gpu")) {
                String[] f = p.split(":");
                try {
                    total += f.length > 1 ? Long.parseLong(f[f.length - 1]) : 1;
                } catch (NumberFormatException e) {
                    total += 1;
                }
            }
        }
        return total;
    }

    /** TRES strings write memory in whole units: {@code 4G}, {@code 16000M}. */
    static String tresMem(long mb) {
        return mb % 1024 == 0 ? mb / 1024 + "G" : mb + "M";
    }

    /** 0,1,2,5 → 0-2,5 (Slurm's CPU_IDs and GPU IDX lists). */
    static String ranges(List<Long> ids) {
        List<Long> sorted = ids.stream().sorted().distinct().toList();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < sorted.size(); ) {
            int k = i;
            while (k + 1 < sorted.size() && sorted.get(k + 1) == sorted.get(k) + 1) {
                k++;
            }
            out.add(k == i ? sorted.get(i).toString() : sorted.get(i) + "-" + sorted.get(k));
            i = k + 1;
        }
        return String.join(",", out);
    }

    private static String all(JsonNode p, String field) {
        List<String> v = strings(p, field);
        return v.isEmpty() ? "ALL" : String.join(",", v);
    }

    private static String record(List<String> lines) {
        StringBuilder sb = new StringBuilder(lines.getFirst());
        for (String s : lines.subList(1, lines.size())) {
            sb.append("\n   ").append(s);
        }
        return sb.toString();
    }

    private static String time(Instant t, Context ctx) {
        return t == null ? "Unknown" : SlurmText.time(t, ctx.zone());
    }

    private static String firstHost(String hostlist) {
        List<String> names = dev.sluice.cli.sinfo.Hostlist.expand(hostlist);
        return names.isEmpty() ? hostlist : names.getFirst();
    }

    /** The output path as Slurm shows it: %j expanded, relative to the work dir. */
    private static String path(String pattern, String workDir, String jobId) {
        String p = pattern.replace("%j", jobId).replace("%A", jobId);
        return p.startsWith("/") || workDir.isEmpty() ? p : workDir.replaceAll("/+$", "") + "/" + p;
    }

    private static String group(long gid) {
        if (gid < 0) {
            return "(null)";
        }
        try {
            for (String line : Files.readAllLines(Path.of("/etc/group"))) {
                String[] f = line.split(":");
                if (f.length > 2 && f[2].equals(Long.toString(gid))) {
                    return f[0];
                }
            }
        } catch (IOException | RuntimeException e) {
            // No group database: the number alone is printed in the parentheses.
        }
        return Long.toString(gid);
    }

    /** NodeAddr is a host, as in Slurm: the agent's {@code host:port} or URL without the port and scheme. */
    static String host(String address) {
        String a = address.contains("://") ? address.substring(address.indexOf("://") + 3) : address;
        int slash = a.indexOf('/');
        if (slash >= 0) {
            a = a.substring(0, slash);
        }
        int colon = a.lastIndexOf(':');
        if (colon > 0 && colon < a.length() - 1 && a.substring(colon + 1).chars().allMatch(Character::isDigit)
                && a.indexOf(':') == colon) {
            a = a.substring(0, colon);
        }
        return a;
    }
}
