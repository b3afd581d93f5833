package dev.sluice.nodeagent.launch;

import java.nio.file.Path;

/** sbatch's --output/--error file name patterns. */
public final class OutputPaths {
    public static final String DEFAULT_STDOUT = "slurm-%j.out";

    private OutputPaths() {
    }

    /** Replaces {@code %j} (job id), {@code %x} (job name), {@code %u} (user), {@code %N} (node), {@code %%}. */
    public static String expand(String pattern, long jobId, String jobName, String user, String node) {
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
                case 'x' -> out.append(jobName);
                case 'u' -> out.append(user);
                case 'N' -> out.append(node);
                case '%' -> out.append('%');
                default -> out.append('%').append(k);
            }
        }
        return out.toString();
    }

    /** The file a pattern names: relative paths are relative to the job's working directory. */
    public static Path resolve(Path workDir, String pattern, long jobId, String jobName, String user, String node) {
        return workDir.resolve(expand(pattern, jobId, jobName, user, node)).normalize();
    }
}
