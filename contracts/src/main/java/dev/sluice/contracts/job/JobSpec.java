package dev.sluice.contracts.job;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A job as the user described it (sbatch options and #SBATCH lines, already validated by submit). Every field after
 * {@code timeLimitMinutes} is optional (null: not given, Slurm's default applies).
 *
 * @param stdout           output path pattern ({@code %j %x ...}); null means {@code slurm-%j.out}. For an array
 *                         Slurm's default is {@code slurm-%A_%a.out}; the node agent applies that when null and
 *                         {@code array} is set
 * @param stderr           error path pattern; null means "same as stdout"
 * @param timeLimitMinutes {@code --time} in minutes; null means the partition's default
 * @param dependency       {@code --dependency} in Slurm's syntax ({@code afterok:12:13,afterany:14},
 *                         {@code afterok:12?afterok:13}, {@code singleton}), syntax already checked by submit
 * @param beginTime        {@code --begin}, resolved to an instant at submission
 * @param hold             {@code -H/--hold}: the job is submitted held by its user ({@code JobHeldUser})
 * @param requeue          {@code --requeue} (true) / {@code --no-requeue} (false)
 * @param nodeList         {@code -w/--nodelist}: a hostlist expression of nodes the job must use
 * @param excludeNodes     {@code -x/--exclude}: a hostlist expression of nodes never to use
 * @param constraint       {@code -C/--constraint}: node features, {@code a&b} or {@code a|b}
 * @param distribution     {@code -m/--distribution} as given ({@code block}, {@code cyclic}, {@code cyclic:block});
 *                         the scheduler uses the first level for task placement
 * @param openMode         {@code --open-mode}: {@code append} or {@code truncate} (the node agent opens stdout and
 *                         stderr so; null is Slurm's default, truncate)
 * @param array            {@code --array} as given ({@code 0-15:2%4}). The event's jobId is then the array job id,
 *                         the first of a block of ids submit reserved; task i runs as job id
 *                         {@code jobId + position of i among the array's ids}, with SLURM_ARRAY_JOB_ID = jobId and
 *                         SLURM_ARRAY_TASK_ID = i
 * @param scriptArgs       arguments after the script on the sbatch line, passed to the script as $1, $2, ...
 * @param signal           {@code --signal} in canonical form {@code [B:|R:]<number>@<seconds>} ({@code B:10@50}),
 *                         see {@link dev.sluice.contracts.api.SignalOption}: the node agent sends that signal that
 *                         many seconds before the time limit
 */
public record JobSpec(String name, String partition, String account, String qos, String script, String workDir,
                      String stdout, String stderr, Map<String, String> env, Resources resources,
                      Integer timeLimitMinutes, String dependency, Instant beginTime, Boolean hold,
                      Boolean requeue, String nodeList, String excludeNodes, String constraint,
                      String distribution, String openMode, String array, List<String> scriptArgs,
                      String signal) {

    /** The 22 components JobSpec had before {@code signal}, which is then null. */
    public JobSpec(String name, String partition, String account, String qos, String script, String workDir,
                   String stdout, String stderr, Map<String, String> env, Resources resources,
                   Integer timeLimitMinutes, String dependency, Instant beginTime, Boolean hold,
                   Boolean requeue, String nodeList, String excludeNodes, String constraint,
                   String distribution, String openMode, String array, List<String> scriptArgs) {
        this(name, partition, account, qos, script, workDir, stdout, stderr, env, resources, timeLimitMinutes,
                dependency, beginTime, hold, requeue, nodeList, excludeNodes, constraint, distribution, openMode,
                array, scriptArgs, null);
    }

    /** The 11 components JobSpec had before the issue-3 fields, which are then null. */
    public JobSpec(String name, String partition, String account, String qos, String script, String workDir,
                   String stdout, String stderr, Map<String, String> env, Resources resources,
                   Integer timeLimitMinutes) {
        this(name, partition, account, qos, script, workDir, stdout, stderr, env, resources, timeLimitMinutes,
                null, null, null, null, null, null, null, null, null, null, null, null);
    }
}
