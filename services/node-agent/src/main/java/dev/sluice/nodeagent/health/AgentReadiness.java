package dev.sluice.nodeagent.health;

import dev.sluice.nodeagent.kafka.NodeAgent;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the node is registered and its command consumer runs. */
@Readiness
@ApplicationScoped
public class AgentReadiness implements HealthCheck {
    private final NodeAgent agent;

    public AgentReadiness(NodeAgent agent) {
        this.agent = agent;
    }

    @Override
    public HealthCheckResponse call() {
        // a drained node (failed prolog or epilog) still answers, but must not be given work
        var drained = agent.drainReason();
        var b = HealthCheckResponse.named("node-agent").status(agent.ready() && drained.isEmpty())
                .withData("node", String.valueOf(agent.nodeName()));
        drained.ifPresent(d -> b.withData("drained", d));
        return b.build();
    }
}
