package dev.sluice.scheduler.cluster;

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

    public record NodeDto(String name, String state, String reason, int cpus, int allocCpus, long memory,
                          long allocMem, Instant lastHeartbeat, List<String> partitions) {
        static NodeDto of(ClusterView.NodeView n) {
            return new NodeDto(n.name(), n.state().name(), n.reason(), n.cpus(), n.allocCpus(), n.memoryMb(),
                    n.allocMemMb(), n.lastHeartbeat(), n.partitions());
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

    @GET
    @Path("/nodes")
    public Nodes nodes() {
        return new Nodes(snapshot.view().nodes().stream().map(NodeDto::of).toList());
    }

    @GET
    @Path("/partitions")
    public Partitions partitions() {
        return new Partitions(snapshot.view().partitions().stream().map(PartitionDto::of).toList());
    }
}
