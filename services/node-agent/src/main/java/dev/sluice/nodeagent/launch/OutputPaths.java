package dev.sluice.nodeagent.launch;

import java.nio.file.Path;

/** sbatch's --output/--error file name patterns. */
public final class OutputPaths {
    public static final String DEFAULT_STDOUT = "slurm-%j.out";

    private OutputPaths() {
    }

    /** Slurm's NO_VAL - 1, what {@code %a} prints for a job that is not an array task. */
    static final String NO_ARRAY_TASK = "4294967294";

    /** A batch script's file name: no array, step "batch" (so {@code %J} is the job id), task 0. */
    public static String expand(String pattern, long jobId, String jobName, String user, String node) {
        return expand(pattern, jobId, jobName, user, node, null, null, null, 0);
    }

    /**
     * Replaces {@code %j} (job id), {@code %J} (jobid.stepid, the job id alone for the batch script), {@code %A}
     * (array job id, else the job id), {@code %a} (array task id), {@code %x} (job name), {@code %u} (user),
     * {@code %N} (node), {@code %t} (task id), {@code %%}; as Slurm's fname.c does.
     *
     * @param stepId null for the batch script
     */
    public static String expand(String pattern, long jobId, String jobName, String user, String node,
                                Long arrayJobId, Long arrayTaskId, Long stepId, int taskId) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c != '%' || i + 1 == pattern.length()) {
                out.append(c);
                continue;
            }
            char k = pattern.charAt(++i);
            switch (k) {
                case 'j' -> out.append(jobId);
                case 'J' -> out.append(stepId == null ? String.valueOf(jobId) : jobId + "." + stepId);
                case 'A' -> out.append(arrayJobId == null ? jobId : arrayJobId);
                case 'a' -> out.append(arrayTaskId == null ? NO_ARRAY_TASK : String.valueOf(arrayTaskId));
                case 't' -> out.append(taskId);
                case 'x' -> out.append(jobName);
                case 'u' -> out.append(user);
                case 'N' -> out.append(node);
                case '%' -> out.append('%');
                default -> out.append('%').append(k);
            }
        }
        return out.toString();
    }

    /** Slurm's default output of an array task: {@code slurm-%A_%a.out}. */
    public static final String DEFAULT_ARRAY_STDOUT = "slurm-%A_%a.out";

    /** The --output pattern of a launch, or Slurm's default for it (an array task's differs). */
    public static String stdoutPattern(dev.sluice.contracts.node.LaunchRequested launch) {
        String given = launch.spec() == null ? null : launch.spec().stdout();
        if (given != null) {
            return given;
        }
        return launch.arrayJobId() != null && launch.arrayTaskId() != null ? DEFAULT_ARRAY_STDOUT : DEFAULT_STDOUT;
    }

    /** A batch script's file, with the launch's array ids for {@code %A} and {@code %a}. */
    public static Path resolve(Path workDir, String pattern, dev.sluice.contracts.node.LaunchRequested launch,
                               String jobName, String user, String node) {
        Long taskId = launch.arrayTaskId() == null ? null : launch.arrayTaskId().longValue();
        return workDir.resolve(expand(pattern, launch.jobId(), jobName, user, node,
                launch.arrayTaskId() == null ? null : launch.arrayJobId(), taskId, null, 0)).normalize();
    }

    /** The file a pattern names: relative paths are relative to the job's working directory. */
    public static Path resolve(Path workDir, String pattern, long jobId, String jobName, String user, String node) {
        return workDir.resolve(expand(pattern, jobId, jobName, user, node)).normalize();
    }
}
