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
        return HealthCheckResponse.named("node-agent").status(agent.ready())
                .withData("node", String.valueOf(agent.nodeName())).build();
    }
}
