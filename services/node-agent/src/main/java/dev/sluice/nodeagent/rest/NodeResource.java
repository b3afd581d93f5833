package dev.sluice.nodeagent.rest;

import dev.sluice.nodeagent.kafka.NodeAgent;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.List;

/** What this agent offers and runs now, for operators and the local runner. */
@Path("/api/v1/node")
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

    @GET
    public NodeView get() {
        var hw = agent.hardware();
        return new NodeView(agent.nodeName(), hw.hostname(), hw.cpuIds(), hw.sockets(), hw.coresPerSocket(),
                hw.threadsPerCore(), hw.memoryMb(), agent.gpus().gres(), agent.cgroupVersion(), agent.runningJobs());
    }
}
