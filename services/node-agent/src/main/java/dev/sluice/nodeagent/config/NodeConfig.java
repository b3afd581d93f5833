package dev.sluice.nodeagent.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * How this agent presents its node. Every value has a default discovered from the host, so one agent per host
 * needs no configuration; several agents on one host differ in name, cpus, state dir and HTTP port.
 */
@ConfigMapping(prefix = "sluice.node")
public interface NodeConfig {
    /** Node name; default: the short host name. */
    Optional<String> name();

    /** CPU ids this node owns, as in {@code 0-3} or {@code 0,2}; default: every online CPU of the host. */
    Optional<String> cpus();

    /** Memory this node offers; default: MemTotal of the host. */
    Optional<Long> memoryMb();

    /** Where job directories live; default: {@code /tmp/sluice-node-<name>}. */
    Optional<String> stateDir();

    /**
     * Where job directories live; default: {@code <state-dir>/jobs}. A tmpfs (e.g. under /dev/shm or /run) is
     * faster under many short jobs; jobs survive an agent restart there, not a host reboot (nor do their processes).
     */
    Optional<String> jobsDir();

    @WithDefault("5s")
    Duration heartbeatInterval();

    /** Time between SIGTERM and SIGKILL when a time limit is reached (scancel brings its own). */
    @WithDefault("30s")
    Duration killWait();

    /**
     * Slurm's UnkillableStepTimeout: processes of a job still alive this long after SIGKILL (stuck in the kernel)
     * drain the node with the reason {@code Kill task failed}, and the job's end is reported.
     */
    @WithDefault("60s")
    Duration unkillableStepTimeout();

    /** How often running jobs are sampled for usage and checked for their end. */
    @WithDefault("500ms")
    Duration monitorInterval();

    /** {@code auto} (v2 if {@code <cgroup-root>/cgroup.controllers} exists, else v1, else none), v1, v2, none. */
    @WithDefault("auto")
    String cgroupMode();

    /** Where cgroups are mounted: the v2 mount, or the folder holding one mount per v1 controller. */
    @WithDefault("/sys/fs/cgroup")
    String cgroupRoot();

    /**
     * The folder below the cgroup root that holds {@code <node>/job_<id>}. Several clusters on one host (test
     * clusters, two local stacks) must use different ones: their node names and job ids repeat, and ending job 7
     * of one would otherwise kill job 7 of the other. The local runner derives it from its data folder.
     */
    @WithDefault("sluice")
    String cgroupParent();

    /** Most processes and threads one job may have (pids controller); 0 = no limit. */
    @WithDefault("0")
    long pidsMax();

    /** GPUs as Slurm's typed GRES names them, e.g. {@code gpu:h100:4}; default: what nvidia-smi finds. */
    Optional<String> gres();

    /** The GPUs' device files in index order: {@code /dev/nvidia[0-3]} or a comma-separated list. */
    Optional<String> gresFiles();

    /** CPUs near the GPUs, as in {@code 0-7} (Slurm gres.conf Cores=). */
    Optional<String> gresCores();

    /** The nvidia-smi to ask when {@code gres} is not set. */
    @WithDefault("nvidia-smi")
    String nvidiaSmi();

    /**
     * Resource limits every task starts with, in sluice-stepd syntax: {@code memlock=unlimited,nofile=65536}.
     * Raising a hard limit needs the agent to hold CAP_SYS_RESOURCE.
     */
    Optional<List<String>> rlimits();

    /** The sluice-stepd binary; default: the one in the launcher jar. */
    Optional<String> launcher();

    /** Program run as root with the job's environment before each job; failing drains the node (Slurm Prolog). */
    Optional<String> prolog();

    /** Program run as root with the job's environment after each job; failing drains the node (Slurm Epilog). */
    Optional<String> epilog();

    /**
     * Key of the HMAC that derives a job's SLUICE_JOB_TOKEN when the job brings none; the same on every agent.
     * Without it the token is a plain hash of the launch record.
     */
    Optional<String> jobTokenKey();

    /**
     * Testing and demos only: the node reports this many CPUs (ids 0..N-1) and binds virtual CPU v to real CPU
     * {@code v mod |cpus|} of its slice, so that a laptop can play a cluster of big nodes. Never on a real cluster.
     */
    Optional<Integer> virtualCpus();

    /** The MPI plugin of a step that names none (Slurm's MpiDefault): none, pmi2 or pmix. */
    @WithDefault("none")
    String mpiDefault();

    /** Slurm's HealthCheckProgram: run as root every health-check-interval; a non-zero exit drains the node. */
    Optional<String> healthCheckProgram();

    /** Slurm's HealthCheckInterval. */
    @WithDefault("60s")
    Duration healthCheckInterval();
}
