package dev.sluice.nodeagent.launch;

import dev.sluice.contracts.step.StepFinished;
import dev.sluice.contracts.step.StepStarted;

/**
 * Where the supervisor reports steps. {@link #finished} returns only once the event is durable (Kafka acks=all):
 * the supervisor marks a job reported after it, so a crash in between reports the job again, never not at all.
 */
public interface StepEventSink {
    void started(StepStarted event) throws Exception;

    void finished(StepFinished event) throws Exception;
}
