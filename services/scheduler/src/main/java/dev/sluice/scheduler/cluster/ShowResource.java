package dev.sluice.scheduler.cluster;

import dev.sluice.scheduler.core.ClusterView;
import dev.sluice.scheduler.core.Job;
import dev.sluice.scheduler.core.JobRequest;
import dev.sluice.scheduler.core.NodeShare;
import dev.sluice.scheduler.core.config.ClusterConfig;
import dev.sluice.scheduler.core.config.Hostlist;
import dev.sluice.scheduler.core.config.SlurmTime;
import dev.sluice.scheduler.loop.SchedulerRuntime;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code scontrol show job|node|partition}: one record with the fields scontrol prints, in its key names, read
 * from the loop's last snapshot. Jobs are the scheduler's live ones (pending and running); a finished job is
 * submit's and accounting's to show.
 */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
public class ShowResource {
    @Inject
    ClusterSnapshot snapshot;

    @Inject
    JobsSnapshot jobs;

    @Inject
    SchedulerRuntime runtime;

    @GET
    @Path("/jobs/{id}")
    public Map<String, Object> job(@PathParam("id") String id) {
        Job j;
        try {
            j = jobs.job(Long.parseLong(id));
        } catch (NumberFormatException e) {
            j = null;
        }
        if (j == null) {
            throw notFound("Invalid job id specified");
        }
        Map<String, Object> m = show(j);
        expected(j, m);
        factors().addTo(j, m);
        return m;
    }

    @GET
    @Path("/jobs")
    public Map<String, Object> jobs() {
        PriorityFactors f = factors();
        return Map.of("jobs", jobs.all().stream().sorted(java.util.Comparator.comparingLong(Job::id))
                .map(j -> {
                    Map<String, Object> m = show(j);
                    expected(j, m);
                    f.addTo(j, m);
                    return m;
                }).toList());
    }

    /** sprio -w: slurm.conf's priority weights. */
    @GET
    @Path("/priority/weights")
    public Map<String, Object> weights() {
        return PriorityFactors.weights(runtime.config());
    }

    private PriorityFactors factors() {
        return new PriorityFactors(runtime.config(), runtime.policy().orElse(null), snapshot.view(),
                java.time.Instant.now());
    }

    @GET
    @Path("/nodes/{name}")
    public Map<String, Object> node(@PathParam("name") String name) {
        ClusterView.NodeView n = snapshot.view().nodes().stream().filter(x -> x.name().equals(name)).findFirst()
                .orElseThrow(() -> notFound("Node " + name + " not found"));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("NodeName", n.name());
        m.put("State", n.state().name());
        m.put("Reason", n.reason());
        m.put("CPUTot", n.cpus());
        m.put("CPUAlloc", n.allocCpus());
        m.put("RealMemory", n.memoryMb());
        m.put("AllocMem", n.allocMemMb());
        m.put("Partitions", String.join(",", n.partitions()));
        m.put("LastBusyTime", n.lastHeartbeat());
        ClusterConfig.NodeDef def = nodeDef(runtime.config(), name);
        m.put("Gres", def == null ? null : def.param("Gres").orElse(null));
        m.put("AvailableFeatures", def == null ? null : def.param("Features").orElse(null));
        m.put("Sockets", def == null ? null : def.param("Sockets").orElse(null));
        m.put("CoresPerSocket", def == null ? null : def.param("CoresPerSocket").orElse(null));
        m.put("ThreadsPerCore", def == null ? null : def.param("ThreadsPerCore").orElse(null));
        return m;
    }

    @GET
    @Path("/partitions/{name}")
    public Map<String, Object> partition(@PathParam("name") String name) {
        ClusterView.PartitionView p = snapshot.view().partitions().stream().filter(x -> x.name().equals(name))
                .findFirst().orElseThrow(() -> notFound("Partition " + name + " not found"));
        ClusterConfig.PartitionDef def = runtime.config().partition(name).orElse(null);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("PartitionName", p.name());
        m.put("Default", p.isDefault() ? "YES" : "NO");
        m.put("State", p.state());
        m.put("MaxTime", SlurmTime.formatMinutes(p.maxTimeMinutes()));
        m.put("Nodes", p.nodes());
        m.put("TotalCPUs", p.totalCpus());
        m.put("IdleCPUs", p.idleCpus());
        if (def != null) {
            m.put("DefaultTime", def.defaultTimeMinutes() == null ? "NONE"
                    : SlurmTime.formatMinutes(def.defaultTimeMinutes()));
            // the other settings of the PartitionName line, in slurm.conf's spelling where it has one
            def.params().forEach((k, v) -> {
                String key = canonical(k);
                if (m.keySet().stream().noneMatch(key::equalsIgnoreCase)) {
                    m.put(key, v);
                }
            });
        }
        return m;
    }

    private static final List<String> PARTITION_KEYS = List.of("AllowAccounts", "AllowGroups", "AllowQos",
            "DefMemPerCPU", "GrpTRES", "MaxCPUsPerNode", "MaxNodes", "OverSubscribe", "PriorityJobFactor",
            "PriorityTier", "TRESBillingWeights", "QOS", "MinNodes");

    private static String canonical(String key) {
        return PARTITION_KEYS.stream().filter(k -> k.equalsIgnoreCase(key)).findFirst().orElse(key);
    }

    static ClusterConfig.NodeDef nodeDef(ClusterConfig config, String name) {
        for (ClusterConfig.NodeDef d : config.nodes()) {
            try {
                if (d.name().equals(name) || Hostlist.expand(d.name()).contains(name)) {
                    return d;
                }
            } catch (RuntimeException ignored) {
                // a NodeName that is not a hostlist names one node only
            }
        }
        return null;
    }

    /** A pending job's StartTime is the one the scheduler expects (its backfill reservation), as scontrol shows. */
    private void expected(Job j, Map<String, Object> m) {
        if (j.state() == dev.sluice.scheduler.core.JobState.PENDING) {
            java.time.Instant planned = jobs.plannedStart(j.id());
            if (planned != null) {
                m.put("StartTime", planned);
            }
        }
    }

    static Map<String, Object> show(Job j) {
        JobRequest r = j.request();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("JobId", j.id());
        m.put("UserId", j.user());
        m.put("Account", r.account());
        m.put("QOS", r.qos());
        m.put("Nice", r.nice() == null ? 0 : r.nice());
        m.put("JobState", j.state().name());
        m.put("Reason", j.reason() == null ? "None" : dev.sluice.contracts.job.PendingReason
                .valueOf(j.reason().name()).slurmName());
        m.put("Partition", j.partition());
        m.put("TimeLimit", SlurmTime.formatMinutes(j.timeLimitMinutes() != null ? j.timeLimitMinutes()
                : r.timeLimitMinutes()));
        m.put("SubmitTime", j.submitTime());
        m.put("StartTime", j.startTime());
        m.put("EndTime", j.endTime());
        m.put("NodeList", j.allocation().isEmpty() ? null : Hostlist.compress(j.nodeNames()));
        m.put("NumNodes", j.allocation().isEmpty() ? r.effectiveNodesMin() : j.allocation().size());
        m.put("NumTasks", r.effectiveTasks());
        m.put("CPUs/Task", r.effectiveCpusPerTask());
        m.put("NumCPUs", j.allocation().isEmpty() ? r.effectiveTasks() * r.effectiveCpusPerTask()
                : j.allocation().stream().mapToInt(s -> s.cpuIds().size()).sum());
        m.put("MinMemoryNode", r.memPerNodeMb());
        m.put("MinMemoryCPU", r.memPerCpuMb());
        m.put("TresPerNode", r.gpusPerNode() == null ? null
                : "gres/gpu" + (r.gpuType() == null ? "" : ":" + r.gpuType()) + ":" + r.gpusPerNode());
        m.put("Exclusive", Boolean.TRUE.equals(r.exclusive()));
        m.put("Layout", j.allocation().stream().map(ShowResource::layout).toList());
        m.put("ArrayJobId", j.arrayJobId());
        m.put("ArrayTaskId", j.arrayTaskId());
        return m;
    }

    private static Map<String, Object> layout(NodeShare s) {
        return Map.of("node", s.node(), "tasks", s.tasks(), "cpuIds", s.cpuIds(), "memMb", s.memMb(),
                "gpuIds", s.gpuIds());
    }

    static WebApplicationException notFound(String message) {
        return new WebApplicationException(Response.status(404).type(MediaType.APPLICATION_JSON)
                .entity(Map.of("error", message)).build());
    }

}
