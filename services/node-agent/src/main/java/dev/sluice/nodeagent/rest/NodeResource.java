package dev.sluice.nodeagent.rest;

import dev.sluice.nodeagent.kafka.NodeAgent;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.List;

/** What this agent offers and runs now, for operators and the local runner. */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
public class NodeResource {
    public record NodeView(String name, String hostname, List<Integer> cpuIds, int sockets, int coresPerSocket,
                           int threadsPerCore, long memoryMb, List<String> gres, String cgroup,
                           List<Long> runningJobs) {
    }

    private final NodeAgent agent;

    public NodeResource(NodeAgent agent) {
        this.agent = agent;
    }

    /** One MPI plugin for {@code srun --mpi=list}. */
    public record MpiPlugin(String name, boolean available, boolean isDefault, String note) {
    }

    @GET
    @Path("/mpi")
    public List<MpiPlugin> mpi() {
        String def = agent.mpiDefault();
        var pmixMissing = dev.sluice.nodeagent.step.PmixLaunch.unavailable();
        return List.of(
                new MpiPlugin("none", true, def.equals("none"), "no PMI: each task starts alone"),
                new MpiPlugin("pmi2", true, def.equals("pmi2"), "simple PMI-1/PMI-2 wire server (MPICH)"),
                new MpiPlugin("pmix", pmixMissing.isEmpty(), def.equals("pmix"), pmixMissing
                        .orElse("PMIx (Open MPI): a PMIx server per node of the step, in a helper process per step")));
    }

    public record DrainView(String node, String reason) {
    }

    /** Why the agent refuses jobs (failed prolog, epilog or health check), or a null reason. */
    @GET
    @Path("/node/drain")
    public DrainView drain() {
        return new DrainView(agent.nodeName(), agent.drainReason().orElse(null));
    }

    @GET
    @Path("/node")
    public NodeView get() {
        var hw = agent.hardware();
        return new NodeView(agent.nodeName(), hw.hostname(), hw.cpuIds(), hw.sockets(), hw.coresPerSocket(),
                hw.threadsPerCore(), hw.memoryMb(), agent.gpus().gres(), agent.cgroupVersion(), agent.runningJobs());
    }
}
