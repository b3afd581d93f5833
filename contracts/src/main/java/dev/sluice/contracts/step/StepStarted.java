package dev.sluice.contracts.step;

import dev.sluice.contracts.EventType;

import java.time.Instant;

@EventType("sluice.step.started.v1")
public record StepStarted(long jobId, String stepId, String node, Instant time, long pid) implements StepEvent {
}
