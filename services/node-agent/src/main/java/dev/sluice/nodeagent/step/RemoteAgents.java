package dev.sluice.nodeagent.step;

/** How the first node's agent starts the other nodes' shares of a step (HTTP between agents; in-process in tests). */
public interface RemoteAgents {

    /** A share running on another node. */
    interface RemotePart {
        void signal(String sig);

        /** Ends the share now; it reports {@code ended} with state {@code CANCELLED} (or the given one). */
        void cancel(String state);
    }

    /**
     * Starts {@code spec} on {@code node}; its output, exits and end arrive through {@code listener}.
     *
     * @throws StepRejected the node refused (unknown job, wrong token, ...)
     */
    RemotePart start(String node, PartSpec spec, String token, StepListener listener) throws StepRejected;

    RemoteAgents NONE = (node, spec, token, listener) -> {
        throw new StepRejected(502, "srun: error: Unable to create step for job " + spec.jobId()
                + ": no way to reach the node agent of " + node);
    };
}
