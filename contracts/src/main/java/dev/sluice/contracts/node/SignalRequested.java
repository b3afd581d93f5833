package dev.sluice.contracts.node;

import dev.sluice.contracts.EventType;

import java.time.Instant;

/**
 * End (or signal) a job's processes on {@code node}.
 *
 * @param reason          why: {@code CANCELLED} (scancel), {@code TIMEOUT}, {@code NODE_FAIL}, or {@code JOB_END} (to the other nodes of a job whose batch script ended: clean up, report nothing); the agent reports
 *                        the end with it
 * @param killWaitSeconds time between SIGTERM and SIGKILL
 */
@EventType("sluice.node.signal-requested.v1")
public record SignalRequested(String node, long jobId, Instant time, String reason, int killWaitSeconds)
        implements NodeCommand {
}
