package dev.sluice.accounting.ingest;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only while history is being read: a sacct answer from a stopped consumer would silently age. */
@Readiness
@ApplicationScoped
public class HistoryConsumerHealth implements HealthCheck {
    @Inject
    HistoryConsumer consumer;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("history-consumer").status(consumer.healthy()).build();
    }
}
