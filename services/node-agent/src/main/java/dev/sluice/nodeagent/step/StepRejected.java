package dev.sluice.nodeagent.step;

/** A step that cannot be created; the message is what srun prints (Slurm's words where Slurm has them). */
public final class StepRejected extends Exception {
    private final int status;

    public StepRejected(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }

    static StepRejected unable(long jobId, String why) {
        return new StepRejected(400, "srun: error: Unable to create step for job " + jobId + ": " + why);
    }
}
