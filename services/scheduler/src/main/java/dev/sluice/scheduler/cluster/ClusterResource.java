package dev.sluice.scheduler.cluster;

import dev.sluice.scheduler.admin.NodeReasons;
import dev.sluice.scheduler.core.NodeState;
import dev.sluice.scheduler.core.Scheduler;
import dev.sluice.scheduler.core.config.ClusterConfig;
import dev.sluice.scheduler.loop.SchedulerRuntime;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.sluice.scheduler.core.ClusterView;
import dev.sluice.scheduler.core.config.SlurmTime;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.time.Instant;
import java.util.List;

/** Nodes and partitions as sinfo shows them, read-only, from the loop's last published snapshot. */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
public class ClusterResource {

    /**
     * One node as sinfo reads it; {@code gres}, {@code features}, {@code sockets}, {@code coresPerSocket} and
     * {@code threadsPerCore} come from the node's NodeName line (absent ones are null), {@code responding} is false
     * once the node missed SlurmdTimeout. {@code reasonUser} and {@code reasonTime}: who set the reason through
     * the admin endpoint and when (null for a reason set otherwise); {@code address}: where the node's agent
     * listens, as it registered (null until it did), which srun uses to reach it.
     */
    public record NodeDto(String name, String state, String reason, int cpus, int allocCpus, long memory,
                          long allocMem, Instant lastHeartbeat, List<String> partitions, String gres,
                          String features, Integer sockets, Integer coresPerSocket, Integer threadsPerCore,
                          boolean responding, String address, String reasonUser, Instant reasonTime) {
        static NodeDto of(ClusterView.NodeView n, ClusterConfig config) {
            return of(n, config, null);
        }

        static NodeDto of(ClusterView.NodeView n, ClusterConfig config, NodeReasons.Stamp stamp) {
            ClusterConfig.NodeDef def = ShowResource.nodeDef(config, n.name());
            return new NodeDto(n.name(), n.state().name(), n.reason(), n.cpus(), n.allocCpus(), n.memoryMb(),
                    n.allocMemMb(), n.lastHeartbeat(), n.partitions(), param(def, "Gres"), param(def, "Features"),
                    number(param(def, "Sockets")), number(param(def, "CoresPerSocket")),
                    number(param(def, "ThreadsPerCore")),
                    !(n.state() == NodeState.DOWN && Scheduler.NOT_RESPONDING.equals(n.reason())), n.address(),
                    stamp == null ? null : stamp.user(), stamp == null ? null : stamp.time());
        }

        private static String param(ClusterConfig.NodeDef def, String key) {
            return def == null ? null : def.param(key).orElse(null);
        }

        private static Integer number(String v) {
            try {
                return v == null ? null : Integer.valueOf(v.trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
    }

    /** @param maxTime Slurm's time format, or {@code UNLIMITED} */
    public record PartitionDto(String name, @JsonProperty("default") boolean isDefault, String state,
                               String maxTime, String nodes, int totalCpus, int idleCpus) {
        static PartitionDto of(ClusterView.PartitionView p) {
            return new PartitionDto(p.name(), p.isDefault(), p.state(), SlurmTime.formatMinutes(p.maxTimeMinutes()),
                    p.nodes(), p.totalCpus(), p.idleCpus());
        }
    }

    public record Nodes(List<NodeDto> nodes) {
    }

    public record Partitions(List<PartitionDto> partitions) {
    }

    @Inject
    ClusterSnapshot snapshot;

    @Inject
    SchedulerRuntime runtime;

    @Inject
    NodeReasons reasons;

    @GET
    @Path("/nodes")
    public Nodes nodes() {
        ClusterConfig config = runtime.config();
        return new Nodes(snapshot.view().nodes().stream().map(n -> NodeDto.of(n, config,
                n.reason() == null ? null : reasons.of(n.name(), n.reason()).orElse(null))).toList());
    }

    @GET
    @Path("/partitions")
    public Partitions partitions() {
        return new Partitions(snapshot.view().partitions().stream().map(PartitionDto::of).toList());
    }
}
