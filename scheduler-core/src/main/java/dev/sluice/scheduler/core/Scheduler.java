package dev.sluice.scheduler.core;

import dev.sluice.scheduler.core.config.ClusterConfig;
import dev.sluice.scheduler.core.config.ClusterConfig.PartitionDef;
import dev.sluice.scheduler.core.config.Hostlist;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The scheduling core: jobs, nodes and partitions, driven by inputs and a clock, answering with decisions. Not
 * thread-safe: one thread owns it (the scheduler service's loop, or a simulator).
 *
 * <p>Each {@link #handle} call applies its inputs in order, runs one scheduling pass, and returns the events in
 * the order they happened followed by the records to persist. Restoring those records with {@link #restore}
 * gives back the same scheduler.
 */
public final class Scheduler {
    public static final String BATCH_STEP = "batch";
    public static final String NOT_RESPONDING = "Not responding";
    public static final int DEFAULT_KILL_WAIT_SECONDS = 30;
    public static final int DEFAULT_SLURMD_TIMEOUT_SECONDS = 60;

    private ClusterConfig config;
    private final Clock clock;
    private final SchedulingStrategy strategy;
    private final int killWaitSeconds;
    private final Duration slurmdTimeout;
    private final Long defMemPerCpuMb;

    private final Map<Long, Job> jobs = new HashMap<>();
    private final TreeMap<String, Node> nodes = new TreeMap<>(NodeOrder.NAMES);
    private final Map<String, Set<Integer>> usedCpus = new HashMap<>();
    private final Map<String, Long> usedMem = new HashMap<>();
    private final Map<String, Set<Integer>> usedGpus = new HashMap<>();
    /** Jobs on hold: JOB_HELD_USER or JOB_HELD_ADMIN, kept in the job's reason so a restore sees it. */
    private final Map<Long, Reason> held = new HashMap<>();
    private Policy policy = Policy.NONE;
    private boolean checksSubmit;
    private boolean limitsActive;
    /** Each request's shape (what placement depends on) as a small number, so misfits are remembered cheaply. */
    private final Map<JobRequest, Integer> shapes = new java.util.IdentityHashMap<>();
    private final Map<JobRequest, Integer> shapeIds = new HashMap<>();
    private Map<String, Double> fairshare = Map.of();
    private Map<String, ResourcePool.Gpu[]> gresByNode = Map.of();
    private Map<String, int[]> socketsByNode = Map.of();
    /**
     * The free resources of the up nodes, kept in step with every allocation and rebuilt only when a node comes,
     * goes or changes, so a pass does not pay for the cluster's size.
     */
    private ResourcePool live;
    private final Map<String, int[]> candidates = new HashMap<>();
    private final Map<String, java.util.BitSet> masks = new HashMap<>();
    private Map<String, PartitionDef> partitions = Map.of();

    private List<Decision> events = new ArrayList<>();
    private final Map<Long, Job> savedJobs = new LinkedHashMap<>();
    private final Set<Long> forgotten = new LinkedHashSet<>();
    private final Set<String> savedNodes = new LinkedHashSet<>();

    public Scheduler(ClusterConfig config, Clock clock) {
        this(config, clock, new FifoStrategy());
    }

    public Scheduler(ClusterConfig config, Clock clock, SchedulingStrategy strategy) {
        this.config = config;
        this.clock = clock;
        this.strategy = strategy;
        this.killWaitSeconds = intSetting("killwait", DEFAULT_KILL_WAIT_SECONDS);
        this.slurmdTimeout = Duration.ofSeconds(intSetting("slurmdtimeout", DEFAULT_SLURMD_TIMEOUT_SECONDS));
        String def = config.settings().get("defmempercpu");
        this.defMemPerCpuMb = def == null ? null : Long.parseLong(def.trim());
        layouts();
    }

    /** GPUs and sockets come from the NodeName= lines; a node the configuration does not name has neither. */
    private void layouts() {
        Map<String, ResourcePool.Gpu[]> g = new HashMap<>();
        Map<String, int[]> sockets = new HashMap<>();
        for (ClusterConfig.NodeDef d : config.nodes()) {
            g.put(d.name(), Gres.parse(d.param("Gres").orElse(null)));
            int socketCount = d.param("Sockets").map(v -> Integer.parseInt(v.trim())).orElse(1);
            int cpus = d.param("CPUs").map(v -> Integer.parseInt(v.trim())).orElse(0);
            if (socketCount > 1 && cpus == 0) {
                cpus = socketCount * d.param("CoresPerSocket").map(v -> Integer.parseInt(v.trim())).orElse(1)
                        * d.param("ThreadsPerCore").map(v -> Integer.parseInt(v.trim())).orElse(1);
            }
            if (socketCount > 1 && cpus > 0) {
                int[] s = new int[cpus];
                for (int p = 0; p < cpus; p++) {
                    s[p] = p / Math.max(1, cpus / socketCount);
                }
                sockets.put(d.name(), s);
            }
        }
        gresByNode = g;
        socketsByNode = sockets;
        Map<String, PartitionDef> byName = new HashMap<>();
        for (PartitionDef p : config.partitions()) {
            byName.putIfAbsent(p.name(), p);
        }
        partitions = byName;
        nodesChanged();
    }

    private void nodesChanged() {
        live = null;
        candidates.clear();
        masks.clear();
    }

    private Optional<PartitionDef> partition(String name) {
        return Optional.ofNullable(name == null ? null : partitions.get(name));
    }

    public ClusterConfig config() {
        return config;
    }

    public int killWaitSeconds() {
        return killWaitSeconds;
    }

    /**
     * Replaces all state with persisted records. Nodes get a fresh heartbeat deadline, since the heartbeats sent
     * while no scheduler was running are still on their way.
     */
    public void restore(Collection<Node> savedNodeRecords, Collection<Job> savedJobRecords) {
        jobs.clear();
        nodes.clear();
        usedCpus.clear();
        usedMem.clear();
        usedGpus.clear();
        held.clear();
        nodesChanged();
        Instant now = clock.instant();
        for (Node n : savedNodeRecords) {
            Instant hb = n.lastHeartbeat() == null || n.lastHeartbeat().isBefore(now) ? now : n.lastHeartbeat();
            nodes.put(n.name(), n.heartbeatAt(hb));
        }
        for (Job j : savedJobRecords) {
            if (j.state().isFinal()) {
                continue;
            }
            jobs.put(j.id(), j);
            if (j.state() == JobState.PENDING
                    && (j.reason() == Reason.JOB_HELD_USER || j.reason() == Reason.JOB_HELD_ADMIN)) {
                held.put(j.id(), j.reason());
            }
            if (j.state() == JobState.RUNNING) {
                take(j);
            }
        }
    }

    public List<Decision> handle(Input... inputs) {
        return handle(List.of(inputs));
    }

    public List<Decision> handle(List<? extends Input> inputs) {
        events = new ArrayList<>();
        savedJobs.clear();
        forgotten.clear();
        savedNodes.clear();
        if (shapeIds.size() > 100_000) {
            shapeIds.clear();
            shapes.clear();
        }
        for (Input in : inputs) {
            apply(in);
        }
        strategy.schedule(new Round());
        List<Decision> out = new ArrayList<>(events);
        savedJobs.values().forEach(j -> out.add(new Decision.JobSaved(j)));
        forgotten.forEach(id -> out.add(new Decision.JobForgotten(id)));
        savedNodes.forEach(n -> out.add(new Decision.NodeSaved(nodes.get(n))));
        return out;
    }

    public Optional<Job> job(long id) {
        return Optional.ofNullable(jobs.get(id));
    }

    public Optional<Node> node(String name) {
        return Optional.ofNullable(nodes.get(name));
    }

    public List<Job> jobs() {
        return jobs.values().stream().sorted(FIFO).toList();
    }

    public List<Node> nodes() {
        return List.copyOf(nodes.values());
    }

    // ---- inputs ----

    private void apply(Input in) {
        switch (in) {
            case Input.Submit s -> submit(s);
            case Input.Cancel c -> cancel(c.jobId());
            case Input.NodeRegistered r -> registered(r);
            case Input.Heartbeat h -> heartbeat(h.node());
            case Input.StepFinished f -> stepFinished(f);
            case Input.Drain d -> drain(d.node(), d.reason());
            case Input.Resume r -> resume(r.node());
            case Input.Tick t -> tick();
            case Input.PolicyChanged p -> policy(p.policy());
            case Input.Reconfigure r -> reconfigure(r.config());
            case Input.Hold h -> hold(h.jobId(), h.admin());
            case Input.Release r -> release(r.jobId());
            case Input.CancelTask c -> cancelTask(c.arrayJobId(), c.taskId());
            case Input.Requeue r -> requeue(r.jobId(), r.hold());
            case Input.Update u -> update(u);
            case Input.Down d -> down(d.node(), d.reason());
        }
    }

    private void submit(Input.Submit s) {
        if (jobs.containsKey(s.jobId())) {
            return;
        }
        Optional<PartitionDef> partition = s.partition() == null || s.partition().isBlank()
                ? config.defaultPartition() : config.partition(s.partition());
        String partitionName = partition.map(PartitionDef::name).orElse(s.partition());
        Job job = Job.pending(s.jobId(), s.user(), partitionName, s.request(), s.submitTime());
        if (partition.isEmpty()) {
            end(job, JobState.FAILED, null, null, "Invalid partition name specified");
            return;
        }
        Optional<String> denied = checksSubmit ? Limits.of(policy, jobs.values(), clock.instant())
                .deniedAtSubmit(job, effectiveTimeLimit(job, partition.get())) : Optional.empty();
        if (denied.isPresent()) {
            end(job, JobState.FAILED, null, null, denied.get());
            return;
        }
        jobs.put(job.id(), job);
        savedJobs.put(job.id(), job);
    }

    public Policy policy() {
        return policy;
    }

    private void policy(Policy p) {
        policy = p;
        checksSubmit = Limits.checksSubmit(p);
        limitsActive = Limits.hasLimits(p);
        boolean classic = config.settings().getOrDefault("priorityflags", "").toUpperCase(java.util.Locale.ROOT)
                .contains("NO_FAIR_TREE");
        var tree = p.shareTree();
        fairshare = classic ? dev.sluice.scheduler.core.fairshare.ClassicFairshare.factors(tree)
                : dev.sluice.scheduler.core.fairshare.FairTree.factors(tree);
    }

    /** Jobs are kept: running ones keep their CPUs even on nodes the new configuration drops. */
    private void reconfigure(ClusterConfig next) {
        config = next;
        layouts();
    }

    private void hold(long jobId, boolean admin) {
        Job job = jobs.get(jobId);
        if (job != null && job.state() == JobState.PENDING) {
            held.put(jobId, admin ? Reason.JOB_HELD_ADMIN : Reason.JOB_HELD_USER);
        }
    }

    private void release(long jobId) {
        held.remove(jobId);
    }

    private void cancelTask(long arrayJobId, int taskId) {
        // filled in with arrays
    }

    private void requeue(long jobId, boolean hold) {
        // filled in with requeue
    }

    private void update(Input.Update u) {
        // filled in with update
    }

    private void down(String name, String reason) {
        // filled in with node states
    }

    private void cancel(long jobId) {
        Job job = jobs.get(jobId);
        if (job == null) {
            return;
        }
        if (job.state() == JobState.PENDING) {
            held.remove(jobId);
            end(job, JobState.CANCELLED, null, null, null);
            return;
        }
        Job cancelling = job.cancelling();
        put(cancelling);
        signalNodes(cancelling, "CANCELLED", null);
    }

    private void registered(Input.NodeRegistered r) {
        Instant now = clock.instant();
        Node old = nodes.get(r.node());
        NodeState state = old != null && old.state() == NodeState.DRAINED ? NodeState.DRAINED : NodeState.IDLE;
        String reason = state == NodeState.DRAINED ? old.reason() : null;
        nodes.put(r.node(), new Node(r.node(), r.cpuIds(), r.memoryMb(), state, reason, now, r.bootId()));
        savedNodes.add(r.node());
        nodesChanged();
        if (old != null && !java.util.Objects.equals(old.bootId(), r.bootId())) {
            Set<Long> alive = new HashSet<>(r.runningJobs() == null ? List.of() : r.runningJobs());
            for (Job j : runningOn(r.node())) {
                if (!alive.contains(j.id())) {
                    end(j, JobState.NODE_FAIL, null, null, "node " + r.node() + " restarted");
                    signalNodes(j, "NODE_FAIL", r.node());
                }
            }
        }
        refresh(r.node());
    }

    private void heartbeat(String name) {
        Node n = nodes.get(name);
        if (n == null) {
            return;
        }
        n = n.heartbeatAt(clock.instant());
        if (n.state() == NodeState.DOWN && NOT_RESPONDING.equals(n.reason())) {
            n = n.with(NodeState.IDLE, null);
            nodesChanged();
        }
        nodes.put(name, n);
        savedNodes.add(name);
        refresh(name);
    }

    private void stepFinished(Input.StepFinished f) {
        Job job = jobs.get(f.jobId());
        if (job == null || job.state() != JobState.RUNNING || !BATCH_STEP.equals(f.stepId())) {
            return;
        }
        JobState end = f.state() != null && JobState.RUNNING.canMoveTo(f.state()) ? f.state() : JobState.FAILED;
        if (job.cancelRequested() && end == JobState.FAILED) {
            end = JobState.CANCELLED;
        }
        end(job, end, f.exitCode(), f.signal(), f.detail());
    }

    private void drain(String name, String reason) {
        Node n = nodes.get(name);
        if (n != null) {
            nodes.put(name, n.with(NodeState.DRAINED, reason));
            savedNodes.add(name);
            nodesChanged();
        }
    }

    private void resume(String name) {
        Node n = nodes.get(name);
        if (n != null && !n.state().isUp()) {
            nodes.put(name, n.with(NodeState.IDLE, null).heartbeatAt(clock.instant()));
            savedNodes.add(name);
            nodesChanged();
            refresh(name);
        }
    }

    private void tick() {
        Instant deadline = clock.instant().minus(slurmdTimeout);
        for (Node n : List.copyOf(nodes.values())) {
            if (!n.state().isUp() || n.lastHeartbeat() == null || !n.lastHeartbeat().isBefore(deadline)) {
                continue;
            }
            nodes.put(n.name(), n.with(NodeState.DOWN, NOT_RESPONDING));
            savedNodes.add(n.name());
            nodesChanged();
            for (Job j : runningOn(n.name())) {
                end(j, JobState.NODE_FAIL, null, null, "node " + n.name() + " not responding");
                signalNodes(j, "NODE_FAIL", n.name());
            }
        }
    }

    // ---- state changes ----

    private List<Job> runningOn(String node) {
        return jobs.values().stream()
                .filter(j -> j.state() == JobState.RUNNING && j.nodeNames().contains(node))
                .sorted(FIFO).toList();
    }

    private void signalNodes(Job job, String reason, String except) {
        Instant now = clock.instant();
        for (String node : job.nodeNames()) {
            Node n = nodes.get(node);
            if (!node.equals(except) && n != null && n.state() != NodeState.DOWN) {
                events.add(new Decision.Signal(node, job.id(), now, reason, killWaitSeconds));
            }
        }
    }

    private void end(Job job, JobState state, Integer exitCode, Integer signal, String detail) {
        Instant now = clock.instant();
        Job ended = job.ended(state, now, exitCode, signal, detail);
        if (job.state() == JobState.RUNNING) {
            release(job);
        }
        announce(job.version() == 0 ? null : job.state(), ended);
        jobs.remove(job.id());
        savedJobs.remove(job.id());
        forgotten.add(job.id());
        shapes.remove(job.request());
    }

    private void announce(JobState previous, Job job) {
        events.add(new Decision.StateChanged(job.id(), job.version(), previous, job.state(), job.reason(),
                job.detail(), clock.instant(), job.exitCode(), job.signal(), job.nodeNames()));
    }

    private void put(Job job) {
        jobs.put(job.id(), job);
        savedJobs.put(job.id(), job);
    }

    private void take(Job job) {
        if (live != null) {
            live.take(job.allocation());
        }
        for (NodeShare s : job.allocation()) {
            Set<Integer> used = usedCpus.computeIfAbsent(s.node(), k -> new TreeSet<>());
            for (int cpu : s.cpuIds()) {
                if (!used.add(cpu)) {
                    throw new IllegalStateException("CPU " + cpu + " of " + s.node() + " is already allocated");
                }
            }
            usedMem.merge(s.node(), s.memMb(), Long::sum);
            Set<Integer> gpus = usedGpus.computeIfAbsent(s.node(), k -> new TreeSet<>());
            for (int g : s.gpuIds()) {
                if (!gpus.add(g)) {
                    throw new IllegalStateException("GPU " + g + " of " + s.node() + " is already allocated");
                }
            }
        }
    }

    private void release(Job job) {
        if (live != null) {
            live.release(job.allocation());
        }
        for (NodeShare s : job.allocation()) {
            Set<Integer> used = usedCpus.get(s.node());
            if (used != null) {
                s.cpuIds().forEach(used::remove);
            }
            usedMem.merge(s.node(), -s.memMb(), Long::sum);
            Set<Integer> gpus = usedGpus.get(s.node());
            if (gpus != null) {
                s.gpuIds().forEach(gpus::remove);
            }
            refresh(s.node());
        }
    }

    /** IDLE, MIXED or ALLOCATED follow the CPUs in use on an up node. */
    private void refresh(String name) {
        Node n = nodes.get(name);
        if (n == null || !n.state().isUp()) {
            return;
        }
        int used = usedCpus.getOrDefault(name, Set.of()).size();
        NodeState s = used == 0 ? NodeState.IDLE : used >= n.cpuIds().size() ? NodeState.ALLOCATED : NodeState.MIXED;
        if (s != n.state()) {
            nodes.put(name, n.with(s, null));
            savedNodes.add(name);
        }
    }

    // ---- partitions and resources ----

    private static final Comparator<Job> FIFO =
            Comparator.comparing(Job::submitTime, Comparator.nullsLast(Comparator.naturalOrder()))
                    .thenComparingLong(Job::id);

    /** {@link #FIFO} without the comparator chain: a pass sorts every pending job. */
    private static int fifo(Job a, Job b) {
        Instant x = a.submitTime();
        Instant y = b.submitTime();
        if (x != y) {
            if (x == null || y == null) {
                return x == null ? 1 : -1;
            }
            int c = x.compareTo(y);
            if (c != 0) {
                return c;
            }
        }
        return Long.compare(a.id(), b.id());
    }

    private Set<String> members(PartitionDef p) {
        if (p.nodes() == null || p.nodes().isBlank() || p.nodes().equalsIgnoreCase("ALL")) {
            return nodes.keySet();
        }
        Set<String> named = new HashSet<>(Hostlist.expand(p.nodes()));
        Set<String> out = new TreeSet<>(NodeOrder.NAMES);
        for (String n : nodes.keySet()) {
            if (named.contains(n)) {
                out.add(n);
            }
        }
        return out;
    }

    private Long defMemPerCpu(PartitionDef p) {
        return p.param("DefMemPerCPU").map(v -> Long.parseLong(v.trim())).orElse(defMemPerCpuMb);
    }

    private Integer effectiveTimeLimit(Job job, PartitionDef p) {
        Integer asked = job.request().timeLimitMinutes();
        if (asked != null && asked > 0) {
            return asked;
        }
        return p.defaultTimeMinutes() != null ? p.defaultTimeMinutes() : p.maxTimeMinutes();
    }

    private int freeCpus(String node) {
        return nodes.get(node).cpuIds().size() - usedCpus.getOrDefault(node, Set.of()).size();
    }

    private final class Round implements SchedulingRound {
        private final Instant now = clock.instant();
        private final Map<ResourcePool, Map<Object, Integer>> misfits = new java.util.IdentityHashMap<>();
        private final List<Job> started = new ArrayList<>();
        private Limits limits;
        private Priority priority;
        private Priority.Totals totals;
        private final Map<String, Double> userFairshare = new HashMap<>();

        @Override
        public Instant now() {
            return now;
        }

        @Override
        public List<Job> pending() {
            List<Job> out = new ArrayList<>();
            for (Job j : jobs.values()) {
                if (j.state() == JobState.PENDING) {
                    out.add(j);
                }
            }
            out.sort(Scheduler::fifo);
            return out;
        }

        @Override
        public List<Job> running() {
            List<Job> out = new ArrayList<>();
            for (Job j : jobs.values()) {
                if (j.state() == JobState.RUNNING) {
                    out.add(j);
                }
            }
            return out;
        }

        @Override
        public Optional<Reason> ineligible(Job job) {
            Reason h = held.get(job.id());
            if (h != null) {
                return Optional.of(h);
            }
            // A partition removed from the configuration while its jobs waited counts as down.
            PartitionDef p = partition(job.partition()).orElse(null);
            if (p == null || !p.isUp()) {
                return Optional.of(Reason.PARTITION_DOWN);
            }
            Integer asked = job.request().timeLimitMinutes();
            if (asked != null && p.maxTimeMinutes() != null && (asked == 0 || asked > p.maxTimeMinutes())) {
                return Optional.of(Reason.PARTITION_TIME_LIMIT);
            }
            Integer maxNodes = maxNodes(p);
            if (maxNodes != null && job.request().effectiveNodesMin() > maxNodes) {
                return Optional.of(Reason.PARTITION_NODE_LIMIT);
            }
            return limitsActive ? limits().blocked(job, effectiveTimeLimit(job, p)) : Optional.empty();
        }

        private final Map<String, Optional<Integer>> maxNodes = new HashMap<>();

        private Integer maxNodes(PartitionDef p) {
            return maxNodes.computeIfAbsent(p.name(), k -> p.param("MaxNodes")
                    .filter(v -> !v.equalsIgnoreCase("UNLIMITED")).map(v -> Integer.parseInt(v.trim()))).orElse(null);
        }

        private Limits limits() {
            if (limits == null) {
                limits = Limits.of(policy, jobs.values(), now);
            }
            return limits;
        }

        @Override
        public Set<String> candidateNodes(Job job) {
            Set<String> out = new LinkedHashSet<>();
            ResourcePool pool = pool();
            for (int i : candidates(job)) {
                out.add(pool.names[i]);
            }
            return out;
        }

        private int[] candidates(Job job) {
            return candidates.computeIfAbsent(job.partition(), name -> {
                ResourcePool pool = pool();
                Optional<PartitionDef> p = partition(name);
                if (p.isEmpty()) {
                    return new int[0];
                }
                String expr = p.get().nodes();
                if (expr == null || expr.isBlank() || expr.equalsIgnoreCase("ALL")) {
                    return java.util.stream.IntStream.range(0, pool.size()).toArray();
                }
                Set<String> m = new HashSet<>(Hostlist.expand(expr));
                return java.util.stream.IntStream.range(0, pool.size()).filter(i -> m.contains(pool.names[i]))
                        .toArray();
            });
        }

        @Override
        public java.util.BitSet candidateMask(Job job) {
            return masks.computeIfAbsent(job.partition(), name -> {
                java.util.BitSet b = new java.util.BitSet();
                for (int i : candidates(job)) {
                    b.set(i);
                }
                return b;
            });
        }

        @Override
        public ResourcePool pool() {
            if (live == null) {
                List<String> names = new ArrayList<>();
                List<int[]> cpus = new ArrayList<>();
                List<int[]> sockets = new ArrayList<>();
                List<Long> mem = new ArrayList<>();
                List<ResourcePool.Gpu[]> gpus = new ArrayList<>();
                for (Node n : nodes.values()) {
                    if (!n.state().isUp()) {
                        continue;
                    }
                    names.add(n.name());
                    int[] ids = n.cpuIds().stream().mapToInt(Integer::intValue).toArray();
                    cpus.add(ids);
                    int[] s = socketsByNode.get(n.name());
                    sockets.add(s != null && s.length == ids.length ? s : null);
                    mem.add(n.memoryMb());
                    gpus.add(gresByNode.getOrDefault(n.name(), new ResourcePool.Gpu[0]));
                }
                ResourcePool built = new ResourcePool(names, cpus, sockets, mem, gpus);
                for (Job j : jobs.values()) {
                    if (j.state() == JobState.RUNNING) {
                        built.take(j.allocation());
                    }
                }
                live = built;
            }
            return live;
        }

        @Override
        public Optional<List<NodeShare>> fit(Job job) {
            return fit(job, pool());
        }

        /**
         * Until a pool gets resources back, a request that did not fit once will not fit again: jobs of the same
         * shape are answered from memory, which is what lets a pass consider every pending job.
         */
        @Override
        public Optional<List<NodeShare>> fit(Job job, ResourcePool on) {
            PartitionDef p = partition(job.partition()).orElseThrow();
            JobRequest r = job.request();
            Object shape = new ShapeKey(shapeOf(r), job.partition());
            Map<Object, Integer> failed = misfits.computeIfAbsent(on, k -> new HashMap<>());
            Integer at = failed.get(shape);
            if (at != null && at == on.releases) {
                return Optional.empty();
            }
            Optional<List<NodeShare>> fit = Placer.place(r, on, candidates(job), defMemPerCpu(p));
            if (fit.isEmpty()) {
                failed.put(shape, on.releases);
            }
            return fit;
        }

        private int shapeOf(JobRequest r) {
            Integer id = shapes.get(r);
            if (id == null) {
                id = shapeIds.computeIfAbsent(r.withAccount(null, null).withNice(null).withTimeLimit(null),
                        k -> shapeIds.size());
                shapes.put(r, id);
            }
            return id;
        }

        @Override
        public Integer timeLimit(Job job) {
            return partition(job.partition()).map(p -> effectiveTimeLimit(job, p))
                    .orElse(job.request().timeLimitMinutes());
        }

        @Override
        public Instant expectedEnd(Job running) {
            if (running.timeLimitMinutes() == null || running.startTime() == null) {
                return null;
            }
            return running.startTime().plus(Duration.ofMinutes(running.timeLimitMinutes()));
        }

        @Override
        public double priority(Job job) {
            if (priority == null) {
                priority = new Priority(config);
                ResourcePool pool = pool();
                long cpus = 0;
                long gpus = 0;
                long mem = 0;
                for (int i = 0; i < pool.size(); i++) {
                    cpus += pool.cpuIds[i].length;
                    gpus += pool.gpus[i].length;
                    mem += pool.totalMem[i];
                }
                int maxFactor = 0;
                for (PartitionDef d : config.partitions()) {
                    maxFactor = Math.max(maxFactor, partitionInt(d, "PriorityJobFactor"));
                }
                int maxQos = 0;
                for (Policy.Qos q : policy.qos().values()) {
                    maxQos = Math.max(maxQos, q.priority());
                }
                totals = new Priority.Totals(cpus, gpus, mem, maxFactor, maxQos);
            }
            double fs = job.request().account() != null
                    ? fairshare.getOrDefault(job.user() + "@" + job.request().account(), 0.0)
                    : userFairshare.computeIfAbsent(job.user(), u -> fairshare.getOrDefault(
                    u + "@" + policy.defaultAccount(u).orElse(""), 0.0));
            int pf = partition(job.partition()).map(d -> partitionInt(d, "PriorityJobFactor")).orElse(0);
            String q = job.request().qos() != null ? job.request().qos() : "normal";
            Policy.Qos qos = policy.qos().get(q);
            return priority.of(job, now, fs, pf, qos == null ? 0 : qos.priority(), totals);
        }

        @Override
        public int priorityTier(Job job) {
            return partition(job.partition()).map(d -> partitionInt(d, "PriorityTier")).orElse(0);
        }

        @Override
        public void start(Job job, List<NodeShare> shares) {
            Instant now = clock.instant();
            if (job.version() == 0) {
                job = job.withReason(Reason.NONE);
                announce(null, job);
            }
            PartitionDef p = partition(job.partition()).orElseThrow();
            Integer limit = effectiveTimeLimit(job, p);
            Job running = job.started(shares, limit, now);
            take(running);
            put(running);
            if (limits != null) {
                limits.running(running, now);
            }
            started.add(running);
            announce(JobState.PENDING, running);
            events.add(new Decision.AllocationGranted(job.id(), now, running.allocation()));
            events.add(new Decision.Launch(shares.getFirst().node(), job.id(), now, running.allocation(),
                    limit == null ? 0 : limit));
            shares.forEach(s -> refresh(s.node()));
        }

        @Override
        public void hold(Job job, Reason reason) {
            if (job.version() > 0 && job.reason() == reason) {
                return;
            }
            Job held = job.withReason(reason);
            put(held);
            announce(job.version() == 0 ? null : JobState.PENDING, held);
        }
    }

    private record ShapeKey(int shape, String partition) {
    }

    private static int partitionInt(PartitionDef d, String key) {
        return d.param(key).map(v -> Integer.parseInt(v.trim())).orElse(key.equals("PriorityJobFactor") ? 1 : 0);
    }

    // ---- views ----

    /** An immutable picture of nodes and partitions as they are now. */
    public ClusterView view() {
        List<ClusterView.NodeView> nodeViews = new ArrayList<>();
        for (Node n : nodes.values()) {
            List<String> parts = config.partitions().stream().filter(p -> members(p).contains(n.name()))
                    .map(PartitionDef::name).toList();
            nodeViews.add(new ClusterView.NodeView(n.name(), n.state(), n.reason(), n.cpuIds().size(),
                    usedCpus.getOrDefault(n.name(), Set.of()).size(), n.memoryMb(),
                    usedMem.getOrDefault(n.name(), 0L), n.lastHeartbeat(), parts));
        }
        List<ClusterView.PartitionView> partitionViews = new ArrayList<>();
        for (PartitionDef p : config.partitions()) {
            Set<String> m = members(p);
            int total = 0;
            int idle = 0;
            for (String name : m) {
                total += nodes.get(name).cpuIds().size();
                if (nodes.get(name).state().isUp()) {
                    idle += freeCpus(name);
                }
            }
            String hostlist = m.isEmpty() ? p.nodes() : Hostlist.compress(List.copyOf(m));
            partitionViews.add(new ClusterView.PartitionView(p.name(), p.isDefault(), p.isUp() ? "UP" : p.state(),
                    p.maxTimeMinutes(), hostlist, total, idle));
        }
        return new ClusterView(List.copyOf(nodeViews), List.copyOf(partitionViews));
    }

    private int intSetting(String key, int def) {
        String v = config.settings().get(key);
        return v == null ? def : Integer.parseInt(v.trim());
    }
}
