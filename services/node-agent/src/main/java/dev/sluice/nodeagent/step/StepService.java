package dev.sluice.nodeagent.step;

import dev.sluice.nodeagent.launch.JobSupervisor;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.UnaryOperator;

/**
 * The agent's steps: coordinators of the steps this node leads and the shares it runs, so that signals find them
 * and a job's end takes them along. Filled in by the agent once its supervisor exists.
 */
@ApplicationScoped
public class StepService implements StepCoordinator.PartRegistry, JobSupervisor.StepHooks {
    private volatile JobSupervisor supervisor;
    private volatile StepCoordinator.Env env;
    private final Map<String, StepCoordinator> coordinators = new ConcurrentHashMap<>();
    private final Map<String, Set<PartRun>> parts = new ConcurrentHashMap<>();
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "sluice-step");
        t.setDaemon(true);
        return t;
    });

    public void attach(JobSupervisor supervisor, RemoteAgents remotes, String mpiDefault, String clusterHost,
                       UnaryOperator<List<Integer>> physicalCpus) {
        this.supervisor = supervisor;
        this.env = new StepCoordinator.Env(supervisor, remotes, mpiDefault, clusterHost, physicalCpus, this);
        supervisor.stepHooks(this);
        if (spareWanted()) {
            spares = PmixSpares.start(supervisor.node()).orElse(null);
        }
    }

    private volatile PmixSpares spares;

    /** {@code sluice.node.pmix-spare} (default true): keep a warm PMIx helper on this node for --mpi=pmix steps. */
    private static boolean spareWanted() {
        String p = System.getProperty("sluice.node.pmix-spare");
        if (p == null) {
            try {
                p = org.eclipse.microprofile.config.ConfigProvider.getConfig()
                        .getOptionalValue("sluice.node.pmix-spare", String.class).orElse(null);
            } catch (RuntimeException | LinkageError e) {
                // no configuration outside Quarkus (plain unit tests): the default
            }
        }
        return p == null || !p.strip().equalsIgnoreCase("false");
    }

    /** This node's warm PMIx helpers; null when pmix is unavailable or spares are off. */
    public PmixSpares spares() {
        return spares;
    }

    /** Agent stop: the spare helper goes with the agent. */
    @jakarta.annotation.PreDestroy
    public void close() {
        PmixSpares s = spares;
        spares = null;
        if (s != null) {
            s.close();
        }
    }

    public Optional<JobSupervisor> supervisor() {
        return Optional.ofNullable(supervisor);
    }

    public StepCoordinator.Env env() {
        return env;
    }

    public ExecutorService workers() {
        return workers;
    }

    static String key(long jobId, int stepId) {
        return jobId + "." + stepId;
    }

    public void add(StepCoordinator c) {
        coordinators.put(key(c.jobId(), c.stepId()), c);
    }

    public void remove(StepCoordinator c) {
        coordinators.remove(key(c.jobId(), c.stepId()), c);
    }

    @Override
    public void add(PartRun part) {
        parts.computeIfAbsent(key(part.jobId(), part.stepId()), k -> ConcurrentHashMap.newKeySet()).add(part);
    }

    @Override
    public void remove(PartRun part) {
        Set<PartRun> set = parts.get(key(part.jobId(), part.stepId()));
        if (set != null) {
            set.remove(part);
        }
    }

    public Optional<StepCoordinator> coordinator(long jobId, int stepId) {
        return Optional.ofNullable(coordinators.get(key(jobId, stepId)));
    }

    public Set<PartRun> parts(long jobId, int stepId) {
        return parts.getOrDefault(key(jobId, stepId), Set.of());
    }

    /** No step outlives its job: the job's end (batch script done, scancel, JOB_END) kills its steps here. */
    @Override
    public void jobEnding(long jobId, String signal) {
        String prefix = jobId + ".";
        coordinators.forEach((k, c) -> {
            if (k.startsWith(prefix)) {
                c.cancel("CANCELLED");
            }
        });
        parts.forEach((k, set) -> {
            if (k.startsWith(prefix)) {
                set.forEach(p -> p.cancel("CANCELLED"));
            }
        });
    }
}
