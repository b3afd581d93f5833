package dev.sluice.identity;

import dev.sluice.contracts.kafka.TopicSetup;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Creates Sluice's topics at start, so identity's events have somewhere to go whichever service starts first. */
@ApplicationScoped
public class Startup {
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    void onStart(@Observes StartupEvent ev) {
        TopicSetup.ensureTopics(bootstrapServers, (short) 1);
    }
}
