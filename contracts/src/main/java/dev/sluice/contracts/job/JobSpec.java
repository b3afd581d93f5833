package dev.sluice.contracts.job;

import java.util.Map;

/**
 * A job as the user described it (sbatch options and #SBATCH lines, already validated by submit).
 *
 * @param stdout           output path pattern ({@code %j %x ...}); null means {@code slurm-%j.out}
 * @param stderr           error path pattern; null means "same as stdout"
 * @param timeLimitMinutes {@code --time} in minutes; null means the partition's default
 */
public record JobSpec(String name, String partition, String account, String qos, String script, String workDir,
                      String stdout, String stderr, Map<String, String> env, Resources resources,
                      Integer timeLimitMinutes) {
}
