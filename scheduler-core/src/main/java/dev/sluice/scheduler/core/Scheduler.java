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
    /**
     * A requeued job is eligible again this long after its requeue, as slurmctld sets its begin time past the
     * credential lifetime (CredExpire 120 s + 1) so the old run cannot be confused with the new one.
     */
    public static final Duration REQUEUE_DELAY = Duration.ofSeconds(121);
    static final int MAX_OUTCOMES = 200_000;

    /** How a job ended, as dependencies need it. */
    record Outcome(JobState state, Integer exitCode, Instant start) {
        boolean ok() {
            return state == JobState.COMPLETED && (exitCode == null || exitCode == 0);
        }
    }

    private ClusterConfig config;
    private final Clock clock;
    private final SchedulingStrategy strategy;
    private final int killWaitSeconds;
    private final Duration slurmdTimeout;
    private final Long defMemPerCpuMb;

    private final Map<Long, Job> jobs = new HashMap<>();
    /**
     * The pending jobs in submit order, kept in step with {@link #jobs} so a pass does not collect and sort them
     * again: with thousands waiting, that sort was most of a pass.
     */
    private final Queue queue = new Queue();

    /**
     * Pending jobs as slots in submit order. A job's place never changes (submit time and id are fixed), so a new
     * reason only replaces the job in its slot; a job that leaves PENDING leaves its slot empty until the next
     * pass compacts the array. Arrivals come in submit order almost always and are appended.
     */
    private static final class Queue {
        static final class Slot {
            Job job;
            /** The record FIFO settled (see {@link FifoStrategy}) and in which epoch; stale once either moves. */
            Job quiet;
            long quietEpoch = -1;
            boolean inLoud;

            Slot(Job job) {
                this.job = job;
            }
        }

        /** Lowest slot index that may hold a pending job: slots before it are all empty. */
        private int first;
        /**
         * Every slot not settled in {@link #trackedEpoch} is in here (and some that are, until pruned): the jobs
         * a FIFO pass must still visit once every node is blocked. Complete only while the epoch has not moved.
         */
        private List<Slot> loud = new ArrayList<>();
        private long trackedEpoch = -1;

        private void loud(Slot s) {
            if (!s.inLoud) {
                s.inLoud = true;
                loud.add(s);
            }
        }

        private Slot[] slots = new Slot[64];
        private int size;
        /** The latest job appended in order; later arrivals before it wait in {@link #unsorted}. */
        private Job lastKey;
        private final List<Slot> unsorted = new ArrayList<>();
        private int live;
        private final Map<Long, Slot> byId = new HashMap<>();

        void put(Job j) {
            Slot s = byId.get(j.id());
            if (j.state() != JobState.PENDING) {
                if (s != null) {
                    s.job = null;
                    byId.remove(j.id());
                    live--;
                }
                return;
            }
            if (s != null) {
                if (s.job != j) {
                    s.job = j;
                    loud(s);
                }
                return;
            }
            s = new Slot(j);
            byId.put(j.id(), s);
            live++;
            loud(s);
            if (size == slots.length) {
                slots = java.util.Arrays.copyOf(slots, size * 2);
            }
            if (lastKey != null && fifo(lastKey, j) > 0) {
                // out of order: merged in at the next snapshot, so a burst of them costs one sort
                unsorted.add(s);
                return;
            }
            lastKey = j;
            if (size == slots.length) {
                slots = java.util.Arrays.copyOf(slots, size * 2);
            }
            slots[size++] = s;
        }

        void remove(long id) {
            Slot s = byId.remove(id);
            if (s != null) {
                s.job = null;
                live--;
            }
        }

        void clear() {
            java.util.Arrays.fill(slots, 0, size, null);
            unsorted.clear();
            lastKey = null;
            size = 0;
            live = 0;
            byId.clear();
            first = 0;
            loud = new ArrayList<>();
            trackedEpoch = -1;
        }

        private void merge() {
            compact();
            List<Slot> extra = new ArrayList<>(unsorted.size());
            for (Slot x : unsorted) {
                if (x.job != null) {
                    extra.add(x);
                }
            }
            unsorted.clear();
            extra.sort((x, y) -> fifo(x.job, y.job));
            Slot[] out = new Slot[Math.max(64, (size + extra.size()) * 2)];
            int a = 0;
            int b = 0;
            int w = 0;
            while (a < size || b < extra.size()) {
                if (b == extra.size() || a < size && fifo(slots[a].job, extra.get(b).job) <= 0) {
                    out[w++] = slots[a++];
                } else {
                    out[w++] = extra.get(b++);
                }
            }
            slots = out;
            size = w;
            first = 0;
            lastKey = w == 0 ? null : slots[w - 1].job;
        }

        private void compact() {
            int w = 0;
            for (int r = 0; r < size; r++) {
                if (slots[r].job != null) {
                    slots[w++] = slots[r];
                }
            }
            java.util.Arrays.fill(slots, w, size, null);
            size = w;
            first = 0;
        }

        List<Job> snapshot() {
            if (!unsorted.isEmpty()) {
                merge();
            }
            if (live < size) {
                compact();
            }
            Job[] out = new Job[size];
            for (int k = 0; k < size; k++) {
                out[k] = slots[k].job;
            }
            return java.util.Arrays.asList(out);
        }

        /**
         * Ready for {@link #inOrder}: out-of-order arrivals merged; empty slots squeezed out only once they
         * outnumber the pending jobs, so a pass does not pay for the whole queue.
         */
        void prepare() {
            if (!unsorted.isEmpty()) {
                merge();
            }
            if (size - live > live + 64) {
                compact();
            }
        }

        /**
         * The pending jobs in submit order, each read when reached: the same jobs a {@link #snapshot} would give
         * as long as the reader changes only the job it was just given (FIFO starts or holds that one).
         */
        java.util.Iterator<Job> inOrder() {
            while (first < size && slots[first].job == null) {
                first++;
            }
            return new java.util.Iterator<>() {
                int k = first;

                @Override
                public boolean hasNext() {
                    while (k < size && slots[k].job == null) {
                        k++;
                    }
                    return k < size;
                }

                @Override
                public Job next() {
                    if (!hasNext()) {
                        throw new java.util.NoSuchElementException();
                    }
                    return slots[k++].job;
                }
            };
        }

        /** Marks the job's slot as settled with its current record in this epoch. */
        void settle(long id, long epoch) {
            Slot s = byId.get(id);
            if (s != null && s.job != null) {
                s.quiet = s.job;
                s.quietEpoch = epoch;
            }
        }

        boolean settled(Slot s, long epoch) {
            return s.job != null && s.quiet == s.job && s.quietEpoch == epoch;
        }

        /** True when {@link #loud} holds every slot not settled in {@code epoch}. */
        boolean tracks(long epoch) {
            return trackedEpoch == epoch;
        }

        /** The unsettled pending jobs after {@code last} in submit order; prunes what has settled or left. */
        List<Job> loudAfter(Job last, long epoch) {
            List<Slot> kept = new ArrayList<>(loud.size());
            List<Job> out = new ArrayList<>();
            for (Slot s : loud) {
                if (s.job == null || settled(s, epoch)) {
                    s.inLoud = false;
                    continue;
                }
                kept.add(s);
                if (fifo(s.job, last) > 0) {
                    out.add(s.job);
                }
            }
            loud = kept;
            out.sort(Scheduler::fifo);
            return out;
        }

        /** After a pass that visited every pending job in {@code epoch}: the loud list is made complete again. */
        void track(long epoch) {
            for (Slot s : loud) {
                s.inLoud = false;
            }
            loud = new ArrayList<>();
            for (int k = 0; k < size; k++) {
                Slot s = slots[k];
                if (s.job != null && !settled(s, epoch)) {
                    loud(s);
                }
            }
            for (Slot s : unsorted) {
                if (s.job != null && !settled(s, epoch)) {
                    loud(s);
                }
            }
            trackedEpoch = epoch;
        }
    }

    private void store(Job j) {
        Job old = jobs.put(j.id(), j);
        if (old != null && old.state() == JobState.PENDING || j.state() == JobState.PENDING) {
            queue.put(j);
        }
    }

    private void unstore(long id) {
        Job old = jobs.remove(id);
        if (old != null && old.state() == JobState.PENDING) {
            queue.remove(id);
        }
    }
    private final Nodes nodes = new Nodes();

    /**
     * Nodes in name order for views, with a hash index for the lookups every start and end makes. A node's state
     * changes with every start and end on it, so only a new name pays for the natural-order tree.
     */
    private static final class Nodes {
        private final TreeSet<String> sorted = new TreeSet<>(NodeOrder.NAMES);
        private final HashMap<String, Node> byName = new HashMap<>();
        private List<Node> values;

        Node get(String name) {
            return byName.get(name);
        }

        void put(String name, Node n) {
            if (byName.put(name, n) == null) {
                sorted.add(name);
            }
            values = null;
        }

        void clear() {
            sorted.clear();
            byName.clear();
            values = null;
        }

        /** A picture in name order, taken at the call: later puts do not show in it. */
        Collection<Node> values() {
            if (values == null) {
                List<Node> out = new ArrayList<>(sorted.size());
                for (String name : sorted) {
                    out.add(byName.get(name));
                }
                values = java.util.Collections.unmodifiableList(out);
            }
            return values;
        }

        Set<String> keySet() {
            return java.util.Collections.unmodifiableSet(sorted);
        }
    }
    /**
     * What running jobs hold on each node, by node name: the ledger that refuses to hand out a CPU or GPU twice,
     * and what node states (IDLE, MIXED, ALLOCATED) follow. One lookup a node per start and end.
     */
    private final Map<String, Used> used = new HashMap<>();

    private static final class Used {
        final java.util.BitSet cpus = new java.util.BitSet();
        int cpuCount;
        final java.util.BitSet gpus = new java.util.BitSet();
        long mem;
    }

    private int usedCpus(String node) {
        Used u = used.get(node);
        return u == null ? 0 : u.cpuCount;
    }
    /** Jobs on hold: JOB_HELD_USER or JOB_HELD_ADMIN, kept in the job's reason so a restore sees it. */
    private final Map<Long, Reason> held = new HashMap<>();
    /**
     * Pending jobs whose earlier run a returning node still had (it is being killed there): they wait, shown as
     * BeginTime as Slurm shows a requeued job, until that node reports the old run's end, so the agent never gets
     * a new launch of a job whose old processes it is still killing.
     */
    private final Map<Long, Set<String>> staleRuns = new HashMap<>();
    /** Expected starts of pending jobs from the last pass's backfill reservations (squeue --start). */
    private Map<Long, Instant> planned = Map.of();
    private Map<Long, Instant> planning = new HashMap<>();
    /** PriorityTier and PriorityJobFactor per partition name, parsed once per configuration (0 for an unknown one). */
    private final Map<String, Integer> tiers = new HashMap<>();
    private final Map<String, Integer> factors = new HashMap<>();
    private ClusterConfig settingsOf;
    /** The multifactor weights, parsed once per configuration. */
    private Priority weights;
    private ClusterConfig weightsOf;

    private Priority weights() {
        if (weightsOf != config) {
            weights = new Priority(config);
            weightsOf = config;
        }
        return weights;
    }
    /** Whether passes work out expected starts (squeue --start); see {@link #planStarts(boolean)}. */
    private boolean planStarts = true;
    /** The up nodes with nothing running, and which shapes fit there: "could this job ever run on its nodes". */
    private ResourcePool idle;
    private final Map<Object, Boolean> idleFits = new HashMap<>();
    /** Parsed --dependency of pending jobs that have one. */
    private final Map<Long, Dependency> dependencies = new HashMap<>();
    /**
     * How jobs ended, for dependencies on them: job id (and {@code arrayJobId_taskId} for array tasks) to the end.
     * Bounded: the oldest are forgotten, and a dependency on a forgotten job counts as satisfied, as in Slurm once
     * a job record is purged.
     */
    private final Map<Object, Outcome> outcomes = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Object, Outcome> e) {
            return size() > MAX_OUTCOMES;
        }
    };
    /** Running jobs being ended (scancel): their nodes show COMPLETING. */
    private final Set<Long> cancelling = new HashSet<>();
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
        Map<String, Integer> threads = new HashMap<>();
        for (ClusterConfig.NodeDef d : config.nodes()) {
            int t = d.param("ThreadsPerCore").map(v -> Integer.parseInt(v.trim())).orElse(1);
            if (t > 1) {
                for (String name : Hostlist.expand(d.name())) {
                    threads.put(name, t);
                }
            }
        }
        threadsByNode = threads;
        Map<String, Set<String>> f = new HashMap<>();
        for (ClusterConfig.NodeDef d : config.nodes()) {
            String v = d.param("Features").or(() -> d.param("AvailableFeatures")).orElse(null);
            if (v != null && !v.isBlank()) {
                Set<String> set = Set.copyOf(java.util.Arrays.stream(v.split(",")).map(String::trim)
                        .filter(x -> !x.isEmpty()).toList());
                for (String name : Hostlist.expand(d.name())) {
                    f.put(name, set);
                }
            }
        }
        featuresByNode = f;
        Map<String, PartitionDef> byName = new HashMap<>();
        for (PartitionDef p : config.partitions()) {
            byName.putIfAbsent(p.name(), p);
        }
        partitions = byName;
        nodesChanged();
    }

    /**
     * Moves whenever something a settled FIFO job's answer reads may have changed (see {@link FifoStrategy}): the
     * configuration, the nodes, the policy and limits, holds, releases, updates, requeues, cancels. Submits and
     * ends do not move it: a job without hold, begin time, dependency, array or node list, under no limits and no
     * partition GrpTRES, reads neither other jobs nor the clock.
     */
    private long epoch;
    /** Passes that skipped settled jobs, for the equivalence test to see that it tested something. */
    long settledPasses;
    /** Blocked jobs whose reservation a pass that plans nothing deferred, for the equivalence test likewise. */
    long deferredReservations;

    private void nodesChanged() {
        epoch++;
        live = null;
        idle = null;
        idleFits.clear();
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
        queue.clear();
        nodes.clear();
        used.clear();
        held.clear();
        dependencies.clear();
        remainders.clear();
        cancelling.clear();
        runningTasks.clear();
        arraySpecs.clear();
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
            store(j);
            if (j.state() == JobState.PENDING
                    && (j.reason() == Reason.JOB_HELD_USER || j.reason() == Reason.JOB_HELD_ADMIN)) {
                held.put(j.id(), j.reason());
            }
            if (j.state() == JobState.PENDING && j.request().dependency() != null) {
                try {
                    Dependency d = Dependency.parse(j.request().dependency());
                    if (d != null) {
                        dependencies.put(j.id(), d);
                    }
                } catch (IllegalArgumentException e) {
                    // accepted at submit, so only a hand-edited record gets here: it waits as never satisfied
                    dependencies.put(j.id(), new Dependency(false, List.of()));
                }
            }
            if (j.arrayRemainder()) {
                remainders.put(j.arrayJobId(), j.id());
            }
            if (j.arrayJobId() != null && j.request().array() != null) {
                arraySpecs.put(j.arrayJobId(), j.request().array());
            }
            if (j.cancelRequested()) {
                cancelling.add(j.id());
            }
            if (j.state() == JobState.RUNNING && j.arrayJobId() != null) {
                runningTasks.merge(j.arrayJobId(), 1, Integer::sum);
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
            idleFits.clear();
        }
        for (Input in : inputs) {
            apply(in);
        }
        Round round = new Round();
        planning = new HashMap<>();
        strategy.schedule(round);
        planned = planning.isEmpty() ? Map.of() : Map.copyOf(planning);
        round.throttled();
        if (round.visitedAll) {
            queue.track(epoch);
        }
        List<Decision> out = new ArrayList<>(events);
        savedJobs.values().forEach(j -> out.add(new Decision.JobSaved(j)));
        forgotten.forEach(id -> out.add(new Decision.JobForgotten(id)));
        savedNodes.forEach(n -> out.add(new Decision.NodeSaved(nodes.get(n))));
        return out;
    }

    /**
     * When the last pass expects each pending job to start, for the jobs it planned (EASY backfill reserves for the
     * jobs that wait for resources); absent: not known (N/A in squeue --start).
     */
    public Map<Long, Instant> plannedStarts() {
        return planned;
    }

    /**
     * Off: passes do not work out expected starts for {@link #plannedStarts()} (it stays empty), which lets EASY
     * backfill compute a reservation only when a later job could start past it. Decisions are the same either way
     * ({@code LazyReservationEquivalenceTest}); the simulator, which shows no squeue --start, turns it off.
     */
    public void planStarts(boolean on) {
        planStarts = on;
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
        if (!(in instanceof Input.Submit || in instanceof Input.StepFinished || in instanceof Input.Heartbeat
                || in instanceof Input.Tick)) {
            epoch++;
        }
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
        JobRequest r = s.request();
        List<String> asked = s.partition() == null || s.partition().isBlank()
                ? config.defaultPartition().map(PartitionDef::name).map(List::of).orElse(List.of())
                : java.util.Arrays.stream(s.partition().split(",")).map(String::trim).filter(x -> !x.isEmpty())
                .distinct().toList();
        String firstName = asked.isEmpty() ? s.partition() : asked.getFirst();
        Job job = Job.pending(s.jobId(), s.user(), firstName, r, s.submitTime())
                .with(b -> b.groups = s.groups());
        List<PartitionDef> defs = new ArrayList<>();
        for (String name : asked) {
            Optional<PartitionDef> d = config.partition(name);
            if (d.isEmpty()) {
                end(job, JobState.FAILED, null, null, "Invalid partition name specified");
                return;
            }
            defs.add(d.get());
        }
        if (defs.isEmpty()) {
            end(job, JobState.FAILED, null, null, "Invalid partition name specified");
            return;
        }
        // As Slurm with several partitions: the ones the job may not use are dropped; none left is an error.
        List<PartitionDef> usable = new ArrayList<>();
        String refused = null;
        for (PartitionDef d : defs) {
            String why = accessDenied(d, s.user(), s.groups(), r);
            if (why == null) {
                usable.add(d);
            } else if (refused == null) {
                refused = why;
            }
        }
        if (usable.isEmpty()) {
            end(job, JobState.FAILED, null, null, refused);
            return;
        }
        Dependency dep;
        ArraySpec array = null;
        try {
            dep = Dependency.parse(r.dependency());
            if (r.array() != null && !r.array().isBlank()) {
                array = ArraySpec.parse(r.array());
            }
        } catch (IllegalArgumentException e) {
            end(job, JobState.FAILED, null, null, e.getMessage());
            return;
        }
        if (dep != null && dep.conditions().stream().anyMatch(c -> c.jobId() == s.jobId())) {
            end(job, JobState.FAILED, null, null, Dependency.PROBLEM);
            return;
        }
        String chosen = usable.getFirst().name();
        String list = usable.size() > 1 ? String.join(",", usable.stream().map(PartitionDef::name).toList()) : null;
        ArraySpec spec = array;
        job = job.with(b -> {
            b.partition = chosen;
            b.partitions = list;
            if (spec != null) {
                b.arrayJobId = s.jobId();
                b.arrayTasks = spec.format();
            }
        });
        Optional<String> denied = checksSubmit ? Limits.of(policy, jobs.values(), clock.instant())
                .deniedAtSubmit(job, effectiveTimeLimit(job, usable.getFirst())) : Optional.empty();
        if (denied.isPresent()) {
            end(job, JobState.FAILED, null, null, denied.get());
            return;
        }
        if (dep != null) {
            dependencies.put(job.id(), dep);
        }
        if (spec != null) {
            remainders.put(s.jobId(), job.id());
            arraySpecs.put(s.jobId(), r.array());
        }
        store(job);
        savedJobs.put(job.id(), job);
    }

    /** Arrays with tasks still pending: array job id to the id of its pending remainder record. */
    private final Map<Long, Long> remainders = new HashMap<>();
    /** Array job id to its --array spec, for dependencies on its tasks. */
    private final Map<Long, String> arraySpecs = new HashMap<>();

    /** Slurm's message when the partition's Allow/Deny lists refuse the job; null when it may use it. */
    private String accessDenied(PartitionDef p, String user, List<String> groups, JobRequest r) {
        Optional<Set<String>> allowGroups = list(p, "AllowGroups");
        if (allowGroups.isPresent() && groups != null && groups.stream().noneMatch(allowGroups.get()::contains)) {
            return "User's group not permitted to use this partition";
        }
        String account = r.account() != null ? r.account() : policy.defaultAccount(user).orElse(null);
        Optional<Set<String>> allowAccounts = list(p, "AllowAccounts");
        Optional<Set<String>> denyAccounts = list(p, "DenyAccounts");
        if (allowAccounts.isPresent() && (account == null || !allowAccounts.get().contains(account))
                || denyAccounts.isPresent() && account != null && denyAccounts.get().contains(account)) {
            // slurmctld logs "job's account not permitted to use this partition" and answers ESLURM_INVALID_ACCOUNT
            return "Invalid account or account/partition combination specified";
        }
        String qos = r.qos() != null ? r.qos() : "normal";
        Optional<Set<String>> allowQos = list(p, "AllowQos");
        Optional<Set<String>> denyQos = list(p, "DenyQos");
        if (allowQos.isPresent() && !allowQos.get().contains(qos)
                || denyQos.isPresent() && denyQos.get().contains(qos)) {
            return "Invalid qos specification";
        }
        return null;
    }

    /** A partition's comma list, absent when unset or {@code ALL}. */
    private static Optional<Set<String>> list(PartitionDef p, String key) {
        return p.param(key).map(String::trim).filter(v -> !v.isEmpty() && !v.equalsIgnoreCase("ALL"))
                .map(v -> Set.copyOf(java.util.Arrays.stream(v.split(",")).map(String::trim).toList()));
    }

    public Policy policy() {
        return policy;
    }

    private void policy(Policy p) {
        epoch++;
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
        Job job = jobs.get(remainders.getOrDefault(jobId, jobId));
        if (job == null || job.state() != JobState.PENDING) {
            job = jobs.get(jobId);
            if (job != null) {
                jobId = job.id();
            }
        } else {
            jobId = job.id();
        }
        if (job != null && job.state() == JobState.PENDING) {
            held.put(jobId, admin ? Reason.JOB_HELD_ADMIN : Reason.JOB_HELD_USER);
        }
    }

    private void release(long jobId) {
        held.remove(jobId);
        Long rest = remainders.get(jobId);
        if (rest != null) {
            held.remove(rest);
        }
    }

    /** {@code scancel 42_7}: a pending task leaves the remainder (and ends CANCELLED), a running one is signalled. */
    private void cancelTask(long arrayJobId, int taskId) {
        Long rid = remainders.get(arrayJobId);
        Job remainder = rid == null ? null : jobs.get(rid);
        ArraySpec full = arraySpecs.containsKey(arrayJobId) ? ArraySpec.parse(arraySpecs.get(arrayJobId)) : null;
        if (full == null) {
            events.add(new Decision.Rejected(arrayJobId, clock.instant(), "Invalid job id specified"));
            return;
        }
        long taskJobId = full.jobIdOf(arrayJobId, taskId);
        if (remainder != null && ArraySpec.parse(remainder.arrayTasks()).jobIdOf(0, taskId) >= 0) {
            Job task = taskView(remainder, full, taskId);
            takeFromRemainder(remainder, taskId);
            end(task, JobState.CANCELLED, null, null, null);
            return;
        }
        Job running = jobs.get(taskJobId);
        if (running != null && running.arrayTaskId() != null && running.arrayTaskId() == taskId) {
            cancelOne(taskJobId);
        } else {
            events.add(new Decision.Rejected(taskJobId, clock.instant(), "Job/step already completing or completed"));
        }
    }

    /** Task {@code t} of an array as its own job, still pending; it keeps the remainder's history only if it has its id. */
    private static Job taskView(Job remainder, ArraySpec full, int t) {
        long id = full.jobIdOf(remainder.arrayJobId(), t);
        return remainder.with(b -> {
            b.id = id;
            b.arrayTaskId = t;
            b.arrayTasks = null;
            if (id != remainder.id()) {
                b.version = 0;
                b.reason = Reason.NONE;
            }
        });
    }

    /**
     * Task {@code t} leaves the pending remainder. The remainder keeps the id of its lowest pending task, so when
     * {@code t} was that one it moves to the next id (and is announced there); when none is left it is gone.
     */
    private void takeFromRemainder(Job remainder, int t) {
        ArraySpec rest = ArraySpec.parse(remainder.arrayTasks()).without(t);
        long arrayJobId = remainder.arrayJobId();
        if (rest.size() == 0) {
            remainders.remove(arrayJobId);
            unstore(remainder.id());
            savedJobs.remove(remainder.id());
            return;
        }
        ArraySpec full = ArraySpec.parse(arraySpecs.get(arrayJobId));
        long newId = full.jobIdOf(arrayJobId, rest.ids()[0]);
        if (newId == remainder.id()) {
            put(remainder.with(b -> b.arrayTasks = rest.format()));
            return;
        }
        unstore(remainder.id());
        savedJobs.remove(remainder.id());
        Job moved = remainder.with(b -> {
            b.id = newId;
            b.arrayTasks = rest.format();
            b.version = 1;
        });
        remainders.put(arrayJobId, newId);
        Reason h = held.remove(remainder.id());
        if (h != null) {
            held.put(newId, h);
        }
        Dependency d = dependencies.remove(remainder.id());
        if (d != null) {
            dependencies.put(newId, d);
        }
        put(moved);
        announce(null, moved);
    }

    /** squeue's name for an array's pending tasks, {@code 42_[6-15%4]}; empty when none is pending. */
    public Optional<String> arrayPending(long arrayJobId) {
        Long rid = remainders.get(arrayJobId);
        Job r = rid == null ? null : jobs.get(rid);
        return r == null ? Optional.empty() : Optional.of(arrayJobId + "_[" + r.arrayTasks() + "]");
    }

    private void update(Input.Update u) {
        Instant now = clock.instant();
        Job job = jobs.get(remainders.getOrDefault(u.jobId(), u.jobId()));
        if (job == null || job.state().isFinal()) {
            events.add(new Decision.Rejected(u.jobId(), now, "Invalid job id specified"));
            return;
        }
        boolean pending = job.state() == JobState.PENDING;
        PartitionDef part = partition(job.partition()).orElse(null);
        // Every field is checked before any changes, so a refused update changes nothing.
        String partitionName = null;
        String partitionList = null;
        if (u.partition() != null) {
            if (!pending) {
                events.add(new Decision.Rejected(u.jobId(), now, "Job is no longer pending execution"));
                return;
            }
            List<PartitionDef> usable = new ArrayList<>();
            for (String name : u.partition().split(",")) {
                Optional<PartitionDef> d = config.partition(name.trim());
                if (d.isEmpty()) {
                    events.add(new Decision.Rejected(u.jobId(), now, "Invalid partition name specified"));
                    return;
                }
                String why = accessDenied(d.get(), job.user(), job.groups(), job.request());
                if (why != null) {
                    events.add(new Decision.Rejected(u.jobId(), now, why));
                    return;
                }
                usable.add(d.get());
            }
            partitionName = usable.getFirst().name();
            partitionList = usable.size() > 1 ? u.partition().replace(" ", "") : null;
            part = usable.getFirst();
        }
        if (u.timeLimitMinutes() != null) {
            int asked = u.timeLimitMinutes();
            Integer current = pending ? (part == null ? job.request().timeLimitMinutes() : effectiveTimeLimit(job, part))
                    : job.timeLimitMinutes();
            boolean raises = current != null && current > 0 && (asked == 0 || asked > current);
            if (!u.admin() && raises) {
                events.add(new Decision.Rejected(u.jobId(), now, "Access/permission denied"));
                return;
            }
            Integer max = part == null ? null : part.maxTimeMinutes();
            if (!u.admin() && max != null && (asked == 0 || asked > max) || asked < 0) {
                events.add(new Decision.Rejected(u.jobId(), now,
                        "Requested time limit is invalid (missing or exceeds some limit)"));
                return;
            }
        }
        if (!u.admin() && (u.nice() != null && u.nice() < 0 || u.priority() != null)) {
            events.add(new Decision.Rejected(u.jobId(), now, "Access/permission denied"));
            return;
        }
        String pName = partitionName;
        String pList = partitionList;
        Job changed = job.with(b -> {
            JobRequest r = b.request;
            if (u.timeLimitMinutes() != null) {
                r = r.withTimeLimit(u.timeLimitMinutes());
                if (!pending) {
                    b.timeLimitMinutes = u.timeLimitMinutes() == 0 ? null : u.timeLimitMinutes();
                }
            }
            if (u.nice() != null) {
                r = r.withNice(u.nice());
            }
            b.request = r;
            if (pName != null) {
                b.partition = pName;
                b.partitions = pList;
            }
            if (u.priority() != null && u.priority() > 0) {
                b.adminPriority = u.priority();
            }
        });
        if (u.priority() != null && pending) {
            if (u.priority() == 0) {
                held.put(job.id(), Reason.JOB_HELD_ADMIN);
            } else if (held.get(job.id()) == Reason.JOB_HELD_ADMIN) {
                held.remove(job.id());
            }
        }
        put(changed);
    }

    private void cancel(long jobId) {
        if (arraySpecs.containsKey(jobId)) {
            Long rid = remainders.get(jobId);
            List<Long> tasks = new ArrayList<>();
            for (Job j : jobs.values()) {
                if (j.state() == JobState.RUNNING && j.arrayJobId() != null && j.arrayJobId() == jobId) {
                    tasks.add(j.id());
                }
            }
            if (rid != null && jobs.containsKey(rid)) {
                end(jobs.get(rid), JobState.CANCELLED, null, null, null);
            }
            tasks.stream().sorted().forEach(this::cancelOne);
            if (rid != null || !tasks.isEmpty()) {
                return;
            }
        }
        cancelOne(jobId);
    }

    private void cancelOne(long jobId) {
        Job job = jobs.get(jobId);
        if (job == null || job.cancelRequested()) {
            return;
        }
        if (job.state() == JobState.PENDING) {
            held.remove(jobId);
            end(job, JobState.CANCELLED, null, null, null);
            return;
        }
        Job c = job.cancelling();
        put(c);
        cancelling.add(c.id());
        signalNodes(c, "CANCELLED", null);
        c.nodeNames().forEach(this::refresh);
    }

    private void registered(Input.NodeRegistered r) {
        Instant now = clock.instant();
        Node old = nodes.get(r.node());
        NodeState state = old != null && old.state() == NodeState.DRAINED ? NodeState.DRAINED : NodeState.IDLE;
        String reason = state == NodeState.DRAINED ? old.reason() : null;
        String address = r.address() != null ? r.address() : old == null ? null : old.address();
        nodes.put(r.node(), new Node(r.node(), r.cpuIds(), r.memoryMb(), state, reason, now, r.bootId(), address));
        savedNodes.add(r.node());
        nodesChanged();
        if (old != null && !java.util.Objects.equals(old.bootId(), r.bootId())) {
            Set<Long> alive = new HashSet<>(r.runningJobs() == null ? List.of() : r.runningJobs());
            for (Job j : runningOn(r.node())) {
                if (!alive.contains(j.id())) {
                    nodeLost(j, r.node(), "node " + r.node() + " restarted");
                }
            }
        }
        // As slurmctld does when a node registers: processes of a job the controller no longer runs there (it ended
        // NODE_FAIL, or was requeued, while the node was not responding) are killed, never resumed; the job may be
        // running elsewhere already.
        for (Long id : r.runningJobs() == null ? List.<Long>of() : r.runningJobs()) {
            Job j = jobs.get(id);
            if (j == null || j.state() != JobState.RUNNING || !j.nodeNames().contains(r.node())) {
                String why = j == null ? "NODE_FAIL" : j.state() == JobState.RUNNING || j.state() == JobState.PENDING
                        ? "REQUEUED" : j.state().name();
                events.add(new Decision.Signal(r.node(), id, now, why, killWaitSeconds));
                if (j != null && j.state() == JobState.PENDING) {
                    staleRuns.computeIfAbsent(id, k -> new HashSet<>()).add(r.node());
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
        Set<String> stale = f.node() == null ? null : staleRuns.get(f.jobId());
        if (stale != null && BATCH_STEP.equals(f.stepId()) && stale.remove(f.node())) {
            if (stale.isEmpty()) {
                staleRuns.remove(f.jobId());
            }
            nodesChanged(); // the job may start again: every pending job is looked at afresh
            return;
        }
        Job job = jobs.get(f.jobId());
        if (job == null || job.state() != JobState.RUNNING || !BATCH_STEP.equals(f.stepId())) {
            return;
        }
        if (f.node() != null && !job.nodeNames().isEmpty() && !job.nodeNames().contains(f.node())) {
            return; // an earlier run's batch step, on a node the job has left (requeued while that node was lost)
        }
        JobState end = f.state() != null && JobState.RUNNING.canMoveTo(f.state()) ? f.state() : JobState.FAILED;
        if (job.cancelRequested() && end == JobState.FAILED) {
            end = JobState.CANCELLED;
        }
        end(job, end, f.exitCode(), f.signal(), f.detail());
    }

    /** DRAINING while jobs run there; {@link #refresh} makes it DRAINED when the last one ends. */
    private void drain(String name, String reason) {
        Node n = nodes.get(name);
        if (n != null) {
            boolean busy = usedCpus(name) > 0 && n.state() != NodeState.DOWN;
            nodes.put(name, n.with(busy ? NodeState.DRAINING : NodeState.DRAINED, reason));
            savedNodes.add(name);
            nodesChanged();
        }
    }

    private void down(String name, String reason) {
        Node n = nodes.get(name);
        if (n == null) {
            return;
        }
        nodes.put(name, n.with(NodeState.DOWN, reason == null || reason.isBlank() ? "Not responding" : reason));
        savedNodes.add(name);
        nodesChanged();
        for (Job j : runningOn(name)) {
            nodeLost(j, name, "node " + name + " down");
        }
    }

    /**
     * A node of a running job is gone: the job is requeued when it may be (--requeue, or JobRequeue=1 in the
     * configuration and no --no-requeue), else it ends NODE_FAIL. Either way its other nodes are told to stop it.
     */
    private void nodeLost(Job j, String node, String why) {
        if (requeueable(j)) {
            signalNodes(j, "REQUEUED", node);
            requeueNow(j, why, false);
        } else {
            end(j, JobState.NODE_FAIL, null, null, why);
            signalNodes(j, "NODE_FAIL", node);
        }
    }

    private boolean requeueable(Job j) {
        Boolean asked = j.request().requeue();
        if (asked != null) {
            return asked;
        }
        return "1".equals(config.settings().getOrDefault("jobrequeue", "0").trim());
    }

    private void requeue(long jobId, boolean hold) {
        Instant now = clock.instant();
        Job job = jobs.get(jobId);
        if (job == null) {
            events.add(new Decision.Rejected(jobId, now, "Invalid job id specified"));
            return;
        }
        if (job.state() == JobState.PENDING) {
            events.add(new Decision.Rejected(jobId, now, "Job is pending execution"));
            return;
        }
        if (Boolean.FALSE.equals(job.request().requeue())) {
            events.add(new Decision.Rejected(jobId, now, "Requested operation is presently disabled"));
            return;
        }
        signalNodes(job, "REQUEUED", null);
        requeueNow(job, "requeued", hold);
    }

    /** RUNNING -> REQUEUED -> PENDING, same id, resources back, eligible after {@link #REQUEUE_DELAY} or held. */
    private void requeueNow(Job job, String why, boolean hold) {
        Instant now = clock.instant();
        cancelling.remove(job.id());
        release(job);
        Job requeued = job.with(b -> {
            b.state = JobState.REQUEUED;
            b.version = job.version() + 1;
            b.detail = why;
        });
        job.state().requireMoveTo(JobState.REQUEUED);
        announce(JobState.RUNNING, requeued);
        Reason reason = hold ? Reason.JOB_HELD_ADMIN : Reason.BEGIN_TIME;
        Job pending = requeued.with(b -> {
            b.state = JobState.PENDING;
            b.reason = reason;
            b.version = requeued.version() + 1;
            b.allocation = List.of();
            b.startTime = null;
            b.timeLimitMinutes = null;
            b.cancelRequested = false;
            b.eligibleTime = now.plus(REQUEUE_DELAY);
            b.restarts = job.restarts() + 1;
            b.detail = null;
        });
        announce(JobState.REQUEUED, pending);
        if (hold) {
            held.put(job.id(), Reason.JOB_HELD_ADMIN);
        }
        if (job.arrayJobId() != null) {
            runningTasks.merge(job.arrayJobId(), -1, Integer::sum);
        }
        put(pending);
    }

    /** Running tasks per array, for %throttle. */
    private final Map<Long, Integer> runningTasks = new HashMap<>();

    private void resume(String name) {
        Node n = nodes.get(name);
        if (n != null && !n.state().isUp()) {
            nodes.put(name, n.with(NodeState.IDLE, null).heartbeatAt(clock.instant()));
            refreshAnyway(name);
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
            // a node lost again will not report the old runs it was killing: stop waiting for them
            staleRuns.values().removeIf(stale -> stale.remove(n.name()) && stale.isEmpty());
            for (Job j : runningOn(n.name())) {
                nodeLost(j, n.name(), "node " + n.name() + " not responding");
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
        cancelling.remove(job.id());
        if (job.state() == JobState.RUNNING) {
            release(job);
            if (job.arrayJobId() != null) {
                runningTasks.merge(job.arrayJobId(), -1, Integer::sum);
            }
        }
        dependencies.remove(job.id());
        held.remove(job.id());
        if (job.arrayRemainder()) {
            remainders.remove(job.arrayJobId());
        }
        Outcome o = new Outcome(state, exitCode, job.startTime());
        outcomes.put(job.id(), o);
        if (job.arrayJobId() != null && job.arrayTaskId() != null) {
            outcomes.put(job.arrayJobId() + "_" + job.arrayTaskId(), o);
        }
        announce(job.version() == 0 ? null : job.state(), ended);
        unstore(job.id());
        savedJobs.remove(job.id());
        forgotten.add(job.id());
        shapes.remove(job.request());
    }

    private void announce(JobState previous, Job job) {
        events.add(new Decision.StateChanged(job.id(), job.version(), previous, job.state(), job.reason(),
                job.detail(), clock.instant(), job.exitCode(), job.signal(), job.nodeNames(),
                job.state() == JobState.PENDING && job.partitions() != null ? job.partitions() : job.partition(),
                job.arrayJobId(), job.arrayTaskId(), job.arrayTasks()));
    }

    private void put(Job job) {
        store(job);
        savedJobs.put(job.id(), job);
    }

    private void take(Job job) {
        if (live != null) {
            live.take(job.allocation());
        }
        for (NodeShare s : job.allocation()) {
            Used u = used.computeIfAbsent(s.node(), k -> new Used());
            for (int cpu : s.cpuIds()) {
                if (cpu < 0 || u.cpus.get(cpu)) {
                    throw new IllegalStateException("CPU " + cpu + " of " + s.node() + " is already allocated");
                }
                u.cpus.set(cpu);
                u.cpuCount++;
            }
            u.mem += s.memMb();
            for (int g : s.gpuIds()) {
                if (g < 0 || u.gpus.get(g)) {
                    throw new IllegalStateException("GPU " + g + " of " + s.node() + " is already allocated");
                }
                u.gpus.set(g);
            }
        }
    }

    private void release(Job job) {
        if (live != null) {
            live.release(job.allocation());
        }
        for (NodeShare s : job.allocation()) {
            Used u = used.computeIfAbsent(s.node(), k -> new Used());
            for (int cpu : s.cpuIds()) {
                if (cpu >= 0 && u.cpus.get(cpu)) {
                    u.cpus.clear(cpu);
                    u.cpuCount--;
                }
            }
            u.mem -= s.memMb();
            for (int g : s.gpuIds()) {
                if (g >= 0) {
                    u.gpus.clear(g);
                }
            }
            refresh(s.node());
        }
    }

    /**
     * IDLE, MIXED or ALLOCATED follow the CPUs in use on an up node, COMPLETING while a job there is being ended;
     * a DRAINING node becomes DRAINED once nothing runs there.
     */
    private void refresh(String name) {
        Node n = nodes.get(name);
        if (n == null) {
            return;
        }
        int used = usedCpus(name);
        if (n.state() == NodeState.DRAINING) {
            if (used == 0) {
                nodes.put(name, n.with(NodeState.DRAINED, n.reason()));
                savedNodes.add(name);
            }
            return;
        }
        if (!n.state().isUp()) {
            return;
        }
        refreshAnyway(n, used);
    }

    private void refreshAnyway(String name) {
        refreshAnyway(nodes.get(name), usedCpus(name));
    }

    private void refreshAnyway(Node n, int used) {
        String name = n.name();
        NodeState s = used == 0 ? NodeState.IDLE : used >= n.cpuIds().size() ? NodeState.ALLOCATED : NodeState.MIXED;
        if (used > 0 && !cancelling.isEmpty()) {
            for (long id : cancelling) {
                Job j = jobs.get(id);
                if (j != null && j.nodeNames().contains(name)) {
                    s = NodeState.COMPLETING;
                    break;
                }
            }
        }
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

    private Map<String, Set<String>> featuresByNode = Map.of();
    private Map<String, Integer> threadsByNode = Map.of();

    /** The GPUs a job asks for in all: --gpus, or per task times tasks, or per node times its fewest nodes. */
    static long gpusAsked(JobRequest r) {
        if (r.gpusTotal() != null && r.gpusTotal() > 0) {
            return r.gpusTotal();
        }
        if (r.gpusPerTask() != null && r.gpusPerTask() > 0) {
            return (long) r.gpusPerTask() * r.effectiveTasks();
        }
        return (long) r.effectiveGpusPerNode() * r.effectiveNodesMin();
    }

    /**
     * The job's billing TRES as Slurm computes it from its partition's {@code TRESBillingWeights}
     * ({@code CPU=1.0,Mem=0.25G,GRES/gpu=2.0}; Mem per GB with the G suffix, else per MB): the weighted sum of
     * what it holds (or asks for, while pending); without weights, its CPU count.
     */
    public double billing(Job job) {
        PartitionDef p = partition(job.partition()).orElse(null);
        long cpus = 0;
        long memMb = 0;
        long gpus = 0;
        if (!job.allocation().isEmpty()) {
            for (NodeShare sh : job.allocation()) {
                cpus += sh.cpuIds().size();
                memMb += sh.memMb();
                gpus += sh.gpuIds().size();
            }
        } else {
            JobRequest r = job.request();
            cpus = (long) r.effectiveTasks() * r.effectiveCpusPerTask();
            memMb = r.memPerNodeMb() != null ? r.memPerNodeMb() * r.effectiveNodesMin()
                    : r.memPerCpuMb() != null ? r.memPerCpuMb() * cpus : 0;
            gpus = gpusAsked(r);
        }
        String weights = p == null ? null : p.param("TRESBillingWeights").orElse(null);
        if (weights == null || weights.isBlank()) {
            return cpus;
        }
        double billing = 0;
        for (String kv : weights.replace("\"", "").split(",")) {
            String[] f = kv.trim().split("=");
            if (f.length != 2) {
                continue;
            }
            String tres = f[0].trim().toLowerCase(java.util.Locale.ROOT);
            String w = f[1].trim();
            double perUnit = 1;
            char unit = Character.toUpperCase(w.charAt(w.length() - 1));
            if (Character.isLetter(unit)) {
                w = w.substring(0, w.length() - 1);
                perUnit = switch (unit) {
                    case 'K' -> 1.0 / 1024;
                    case 'G' -> 1024;
                    case 'T' -> 1024 * 1024;
                    default -> 1;
                };
            }
            double weight = Double.parseDouble(w);
            billing += switch (tres) {
                case "cpu" -> weight * cpus;
                case "mem" -> weight * memMb / perUnit;
                case "gres/gpu" -> weight * gpus;
                default -> 0;
            };
        }
        return billing;
    }

    /** A node's Features= (and AvailableFeatures=) from its NodeName line. */
    private Set<String> features(String node) {
        return featuresByNode.getOrDefault(node, Set.of());
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
        return nodes.get(node).cpuIds().size() - usedCpus(node);
    }

    private final class Round implements SettlingRound {
        private final Instant now = clock.instant();
        /** This FIFO pass visited every pending job not settled in the epoch, so the loud list can be rebuilt. */
        boolean visitedAll;

        @Override
        public boolean settles() {
            // Array remainders expand into task views and limits read other jobs: no skipping with either.
            return remainders.isEmpty() && !limitsActive;
        }

        @Override
        public java.util.Iterator<Job> inOrder() {
            queue.prepare();
            return queue.inOrder();
        }

        @Override
        public boolean covers(java.util.BitSet blocked) {
            int n = pool().size();
            return n > 0 && blocked.nextClearBit(0) >= n;
        }

        @Override
        public void settle(Job job) {
            Job now = jobs.get(job.id());
            if (now == null || now.state() != JobState.PENDING || now.version() == 0
                    || now.reason() != Reason.PRIORITY || !simple(now)) {
                return;
            }
            PartitionDef p = partitions.get(now.partition());
            if (p == null || p.params().containsKey("grptres")) {
                return;
            }
            queue.settle(now.id(), epoch);
        }

        /** What a settled job's answer may read besides the configuration and the nodes: nothing else. */
        private static boolean simple(Job j) {
            JobRequest r = j.request();
            return j.partitions() == null && j.arrayJobId() == null && j.arrayTasks() == null
                    && j.eligibleTime() == null && r.beginTime() == null && r.dependency() == null
                    && r.nodeList() == null && r.excludeNodes() == null && r.constraint() == null;
        }

        @Override
        public Iterable<Job> unsettledAfter(Job last, java.util.Iterator<Job> rest) {
            if (queue.tracks(epoch)) {
                settledPasses++;
                return queue.loudAfter(last, epoch);
            }
            visitedAll = true;
            List<Job> out = new ArrayList<>();
            while (rest.hasNext()) {
                out.add(rest.next());
            }
            return out;
        }

        @Override
        public void visitedAll() {
            visitedAll = true;
        }

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
            List<Job> out = queue.snapshot();
            if (remainders.isEmpty()) {
                return out;
            }
            List<Job> expanded = new ArrayList<>(out.size());
            for (Job j : out) {
                if (!j.arrayRemainder()) {
                    expanded.add(j);
                    continue;
                }
                // Each task that could start is considered on its own; the throttle and the cluster's size bound
                // how many that can be, so a 1,000-task array costs a pass no more than the tasks that may start.
                ArraySpec rest = ArraySpec.parse(j.arrayTasks());
                ArraySpec full = ArraySpec.parse(arraySpecs.get(j.arrayJobId()));
                int room = rest.size();
                if (rest.throttle() != null) {
                    room = Math.min(room, rest.throttle() - runningTasks.getOrDefault(j.arrayJobId(), 0));
                }
                // one more than can start, so the first that cannot gives the remainder its reason
                room = Math.min(room, maxStartable(j) + 1);
                if (room <= 0) {
                    expanded.add(j);
                    continue;
                }
                for (int k = 0; k < room; k++) {
                    expanded.add(taskView(j, full, rest.ids()[k]));
                }
            }
            return expanded;
        }

        /** At most as many tasks as the up nodes have CPUs for. */
        private int maxStartable(Job j) {
            ResourcePool p = pool();
            long cpus = 0;
            for (int i = 0; i < p.size(); i++) {
                cpus += p.freeCount[i];
            }
            JobRequest r = j.request();
            long per = Math.max(1, (long) r.effectiveTasks() * r.effectiveCpusPerTask());
            return (int) Math.min(Integer.MAX_VALUE, Math.max(1, cpus / per));
        }

        /** A task view stands for its array's remainder: holds and dependencies are the remainder's. */
        private long recordId(Job job) {
            if (job.arrayJobId() != null && job.arrayTaskId() != null && job.state() == JobState.PENDING) {
                return remainders.getOrDefault(job.arrayJobId(), job.id());
            }
            return job.id();
        }

        private final Set<Long> arraysReasoned = new HashSet<>();

        /** Remainders whose %throttle tasks run were not in this pass's list: they wait with JobArrayTaskLimit. */
        void throttled() {
            for (Long rid : List.copyOf(remainders.values())) {
                Job r = jobs.get(rid);
                if (r == null || arraysReasoned.contains(r.arrayJobId()) || held.containsKey(rid)) {
                    continue;
                }
                Optional<Reason> why = ineligible(r);
                if (why.isPresent() && why.get() == Reason.JOB_ARRAY_TASK_LIMIT) {
                    hold(r, why.get());
                }
            }
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
            long rec = remainders.isEmpty() ? job.id() : recordId(job);
            Reason h = held.isEmpty() ? null : held.get(rec);
            if (h != null) {
                return Optional.of(h);
            }
            if (!staleRuns.isEmpty() && staleRuns.containsKey(job.id())) {
                return Optional.of(Reason.BEGIN_TIME);
            }
            Instant begin = job.request().beginTime();
            if (job.eligibleTime() != null && (begin == null || job.eligibleTime().isAfter(begin))) {
                begin = job.eligibleTime();
            }
            if (begin != null && now.isBefore(begin)) {
                return Optional.of(Reason.BEGIN_TIME);
            }
            Dependency dep = dependencies.isEmpty() ? null : dependencies.get(rec);
            if (dep != null) {
                Reason d = dependencyState(job, dep);
                if (d != null) {
                    return Optional.of(d);
                }
            }
            PartitionDef p;
            if (job.partitions() == null) {
                Reason pr = partitionReason(job);
                if (pr != null) {
                    return Optional.of(pr);
                }
                p = lastPartition;
            } else {
                // -p a,b: the partitions it may run in now; it waits for the first one's reason when none
                List<String> ok = new ArrayList<>();
                Reason first = null;
                for (String name : job.partitions().split(",")) {
                    Reason pr = partitionReason(job.with(b -> b.partition = name));
                    if (pr == null) {
                        ok.add(name);
                    } else if (first == null) {
                        first = pr;
                    }
                }
                if (ok.isEmpty()) {
                    return Optional.of(first);
                }
                usableParts.put(job.id(), ok);
                p = partition(ok.getFirst()).orElseThrow();
            }
            if (job.arrayRemainder()) {
                ArraySpec rest = ArraySpec.parse(job.arrayTasks());
                if (rest.throttle() != null
                        && runningTasks.getOrDefault(job.arrayJobId(), 0) >= rest.throttle()) {
                    return Optional.of(Reason.JOB_ARRAY_TASK_LIMIT);
                }
            }
            if (p.params().containsKey("grptres")) {
                Reason g = partitionGrpTres(job, p);
                if (g != null) {
                    return Optional.of(g);
                }
            }
            return limitsActive ? limits().blocked(job, effectiveTimeLimit(job, p)) : Optional.empty();
        }

        /** CPUs and GPUs in use per partition (jobs started in this pass included), for partition GrpTRES. */
        private Map<String, long[]> partitionUse;

        /**
         * Partition {@code GrpTRES=cpu=N,gres/gpu=M}: the partition's running jobs together stay within it. Slurm
         * enforces this through the partition's QOS, so the reasons are QOSGrpCpuLimit and QOSGrpGRES.
         */
        private Reason partitionGrpTres(Job job, PartitionDef p) {
            if (partitionUse == null) {
                partitionUse = new HashMap<>();
                for (Job j : jobs.values()) {
                    if (j.state() == JobState.RUNNING) {
                        long[] u = partitionUse.computeIfAbsent(j.partition(), k -> new long[2]);
                        for (NodeShare sh : j.allocation()) {
                            u[0] += sh.cpuIds().size();
                            u[1] += sh.gpuIds().size();
                        }
                    }
                }
            }
            long[] used = partitionUse.getOrDefault(p.name(), new long[2]);
            JobRequest r = job.request();
            long cpus = (long) r.effectiveTasks() * r.effectiveCpusPerTask();
            long gpus = gpusAsked(r);
            for (String kv : p.param("GrpTRES").orElse("").split(",")) {
                String[] f = kv.trim().split("=");
                if (f.length != 2) {
                    continue;
                }
                long limit = Long.parseLong(f[1].trim());
                String tres = f[0].trim().toLowerCase(java.util.Locale.ROOT);
                if (tres.equals("cpu") && used[0] + cpus > limit) {
                    return Reason.QOS_GRP_CPU_LIMIT;
                }
                if ((tres.equals("gres/gpu") || tres.startsWith("gres/gpu:")) && gpus > 0 && used[1] + gpus > limit) {
                    return Reason.QOS_GRP_GRES;
                }
            }
            return null;
        }

        private final Map<String, Optional<Integer>> maxNodes = new HashMap<>();
        /** For -p a,b: the partitions a job may run in this pass, and the one it fit in. */
        private final Map<Long, List<String>> usableParts = new HashMap<>();
        private final Map<String, Optional<Long>> defMems = new HashMap<>();
        private String lastPartitionName;
        private PartitionDef lastPartition;
        private Integer lastMaxNodes;
        private boolean lastPartitionUp;
        private String lastMaskName;
        private java.util.BitSet lastMask;
        private final Map<Long, String> chosenPart = new HashMap<>();

        /** Why the job cannot run in its {@code partition()} whatever is free, or null. */
        private Reason partitionReason(Job job) {
            // Consecutive jobs mostly share a partition: the lookups are done once per run of them.
            if (job.partition() != lastPartitionName || lastPartitionName == null) {
                lastPartitionName = job.partition();
                lastPartition = partition(job.partition()).orElse(null);
                lastMaxNodes = lastPartition == null ? null : maxNodes(lastPartition);
                lastPartitionUp = lastPartition != null && lastPartition.isUp();
            }
            // A partition removed from the configuration while its jobs waited counts as down.
            PartitionDef p = lastPartition;
            if (p == null || !lastPartitionUp) {
                return Reason.PARTITION_DOWN;
            }
            Integer asked = job.request().timeLimitMinutes();
            if (asked != null && p.maxTimeMinutes() != null && (asked == 0 || asked > p.maxTimeMinutes())) {
                return Reason.PARTITION_TIME_LIMIT;
            }
            Integer maxNodes = lastMaxNodes;
            if (maxNodes != null && job.request().effectiveNodesMin() > maxNodes) {
                return Reason.PARTITION_NODE_LIMIT;
            }
            JobRequest r = job.request();
            if (r.nodeList() != null || r.constraint() != null) {
                return nodeReason(job, p);
            }
            return null;
        }

        /** -w names a node that is not up in the partition: ReqNodeNotAvail; -C that no node has: BadConstraints. */
        private Reason nodeReason(Job job, PartitionDef p) {
            JobRequest r = job.request();
            if (r.constraint() != null) {
                boolean any = false;
                for (String n : members(p)) {
                    any |= Features.matches(r.constraint(), features(n));
                }
                if (!any) {
                    return Reason.BAD_CONSTRAINTS;
                }
            }
            if (r.nodeList() != null) {
                int[] req = required(job);
                if (req == null) {
                    return Reason.REQ_NODE_NOT_AVAIL;
                }
            }
            return null;
        }

        /** Pool indices of the -w nodes, or null when one is not up, not in the partition or excluded. */
        private int[] required(Job job) {
            JobRequest r = job.request();
            if (r.nodeList() == null) {
                return null;
            }
            ResourcePool pool = pool();
            java.util.BitSet mask = candidateMask(job);
            List<String> names = Hostlist.expand(r.nodeList());
            int[] out = new int[names.size()];
            for (int k = 0; k < out.length; k++) {
                Integer i = pool.index.get(names.get(k));
                if (i == null || !mask.get(i)) {
                    return null;
                }
                out[k] = i;
            }
            return out;
        }

        /** null when met; {@code Dependency} while it may still be; {@code DependencyNeverSatisfied} once not. */
        private Reason dependencyState(Job job, Dependency d) {
            if (job.reason() == Reason.DEPENDENCY_NEVER_SATISFIED || d.conditions().isEmpty()) {
                return Reason.DEPENDENCY_NEVER_SATISFIED;
            }
            boolean met = false;
            boolean waits = false;
            boolean never = false;
            for (Dependency.Condition c : d.conditions()) {
                Reason r = condition(job, c);
                if (r == null) {
                    met = true;
                } else if (r == Reason.DEPENDENCY) {
                    waits = true;
                } else {
                    never = true;
                }
            }
            if (d.any()) {
                return met ? null : waits ? Reason.DEPENDENCY : Reason.DEPENDENCY_NEVER_SATISFIED;
            }
            return never ? Reason.DEPENDENCY_NEVER_SATISFIED : waits ? Reason.DEPENDENCY : null;
        }

        private Reason condition(Job job, Dependency.Condition c) {
            if (c.type() == Dependency.Type.SINGLETON) {
                return singletonFree(job) ? null : Reason.DEPENDENCY;
            }
            Long remainderId = remainders.get(c.jobId());
            Job remainder = remainderId == null ? null : jobs.get(remainderId);
            if (c.taskId() != null || remainder != null || arraySpecs.containsKey(c.jobId())) {
                return arrayCondition(c, remainder);
            }
            Job live = jobs.get(c.jobId());
            if (live != null && live.state() == JobState.PENDING) {
                return Reason.DEPENDENCY;
            }
            if (live != null && live.state() == JobState.RUNNING) {
                return c.type() == Dependency.Type.AFTER && delayPassed(live.startTime(), c) ? null : Reason.DEPENDENCY;
            }
            return ended(outcomes.get(c.jobId()), c);
        }

        /** A whole array ({@code 42}) or one task ({@code 42_7}). */
        private Reason arrayCondition(Dependency.Condition c, Job remainder) {
            String specText = arraySpecs.get(c.jobId());
            ArraySpec spec = specText == null ? null : ArraySpec.parse(specText);
            int[] tasks = c.taskId() != null ? new int[]{c.taskId()} : spec == null ? new int[0] : spec.ids();
            Set<Integer> pendingTasks = new HashSet<>();
            if (remainder != null) {
                for (int t : ArraySpec.parse(remainder.arrayTasks()).ids()) {
                    pendingTasks.add(t);
                }
            }
            boolean waits = false;
            boolean never = false;
            for (int t : tasks) {
                if (pendingTasks.contains(t)) {
                    waits = true;
                    continue;
                }
                Job live = spec == null ? null : jobs.get(spec.jobIdOf(c.jobId(), t));
                if (live != null && live.state() == JobState.RUNNING && java.util.Objects.equals(live.arrayTaskId(), t)) {
                    waits |= !(c.type() == Dependency.Type.AFTER && delayPassed(live.startTime(), c));
                    continue;
                }
                Reason r = ended(outcomes.get(c.jobId() + "_" + t), c);
                waits |= r == Reason.DEPENDENCY;
                never |= r == Reason.DEPENDENCY_NEVER_SATISFIED;
            }
            return never ? Reason.DEPENDENCY_NEVER_SATISFIED : waits ? Reason.DEPENDENCY : null;
        }

        private boolean delayPassed(Instant start, Dependency.Condition c) {
            return start == null || !now.isBefore(start.plus(Duration.ofMinutes(c.delayMinutes())));
        }

        /** An ended (or never known) target: unknown ones count as met, as Slurm once a record is purged. */
        private Reason ended(Outcome o, Dependency.Condition c) {
            if (o == null) {
                return null;
            }
            return switch (c.type()) {
                case AFTER -> delayPassed(o.start(), c) ? null : Reason.DEPENDENCY;
                case AFTERANY, SINGLETON -> null;
                case AFTEROK -> o.ok() ? null : Reason.DEPENDENCY_NEVER_SATISFIED;
                case AFTERNOTOK -> o.ok() ? Reason.DEPENDENCY_NEVER_SATISFIED : null;
            };
        }

        /** user and name to: running count, and the earliest pending job with that name. */
        private Map<String, long[]> singletons;

        private boolean singletonFree(Job job) {
            if (singletons == null) {
                singletons = new HashMap<>();
                for (Job j : jobs.values()) {
                    if (j.request().name() == null) {
                        continue;
                    }
                    long[] e = singletons.computeIfAbsent(j.user() + "\u0000" + j.request().name(),
                            k -> new long[]{0, -1});
                    if (j.state() == JobState.RUNNING) {
                        e[0]++;
                    } else if (j.state() == JobState.PENDING
                            && (e[1] < 0 || fifo(j, jobs.get(e[1])) < 0)) {
                        e[1] = j.id();
                    }
                }
            }
            long[] e = singletons.get(job.user() + "\u0000" + job.request().name());
            return e == null || e[0] == 0 && (e[1] < 0 || e[1] == job.id());
        }

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
            JobRequest r = job.request();
            if (r.nodeList() != null || r.excludeNodes() != null || r.constraint() != null) {
                String key = job.partition() + "\u0000" + r.nodeList() + "\u0000" + r.excludeNodes() + "\u0000"
                        + r.constraint();
                int[] known = candidates.get(key);
                if (known == null) {
                    int[] base = partitionCandidates(job.partition());
                    Set<String> out = r.excludeNodes() == null ? Set.of() : new HashSet<>(Hostlist.expand(r.excludeNodes()));
                    ResourcePool pool = pool();
                    known = java.util.Arrays.stream(base).filter(i -> !out.contains(pool.names[i]))
                            .filter(i -> r.constraint() == null || Features.matches(r.constraint(), features(pool.names[i])))
                            .toArray();
                    candidates.put(key, known);
                }
                return known;
            }
            return partitionCandidates(job.partition());
        }

        private int[] partitionCandidates(String partitionName) {
            return candidates.computeIfAbsent(partitionName, name -> {
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
            JobRequest r = job.request();
            boolean plain = job.partitions() == null && r.nodeList() == null && r.excludeNodes() == null
                    && r.constraint() == null;
            if (plain && job.partition() == lastMaskName && lastMaskName != null) {
                return lastMask;
            }
            String key = job.partitions() != null ? job.partitions() : job.partition();
            if (r.nodeList() != null || r.excludeNodes() != null || r.constraint() != null) {
                key = key + "\u0000" + r.nodeList() + "\u0000" + r.excludeNodes() + "\u0000" + r.constraint();
            }
            if (job.partitions() != null) {
                java.util.BitSet known = masks.get(key);
                if (known == null) {
                    known = new java.util.BitSet();
                    for (String name : job.partitions().split(",")) {
                        known.or(candidateMask(job.with(x -> {
                            x.partition = name;
                            x.partitions = null;
                        })));
                    }
                    masks.put(key, known);
                }
                return known;
            }
            java.util.BitSet mask = masks.computeIfAbsent(key, name -> {
                java.util.BitSet b = new java.util.BitSet();
                for (int i : candidates(job)) {
                    b.set(i);
                }
                return b;
            });
            if (plain) {
                lastMaskName = job.partition();
                lastMask = mask;
            }
            return mask;
        }

        @Override
        public boolean plans() {
            return planStarts;
        }

        @Override
        public boolean couldFitIdle(Job job) {
            if (idle == null) {
                idle = buildPool(false);
            }
            Object key = job.partitions() == null ? new ShapeKey(shapeOf(job.request()), job.partition()) : null;
            Boolean known = key == null ? null : idleFits.get(key);
            if (known != null) {
                return known;
            }
            JobRequest r = job.request();
            long needCpus = (long) r.effectiveTasks() * r.effectiveCpusPerTask();
            long needGpus = (long) r.effectiveGpusPerNode() * r.effectiveNodesMin();
            java.util.BitSet mask = candidateMask(job);
            long cpus = 0;
            long gpus = 0;
            for (int i = mask.nextSetBit(0); i >= 0; i = mask.nextSetBit(i + 1)) {
                cpus += idle.freeCount[i];
                gpus += idle.freeGpus[i].cardinality();
            }
            boolean fits = cpus >= needCpus && gpus >= needGpus && fit(job, idle, FIT_ONLY).isPresent();
            deferredReservations++;
            if (key != null) {
                idleFits.put(key, fits);
            }
            return fits;
        }

        @Override
        public ResourcePool pool() {
            if (live == null) {
                live = buildPool(true);
            }
            return live;
        }
        /** The up nodes' resources, with what running jobs hold taken when {@code withRunning}. */
        private ResourcePool buildPool(boolean withRunning) {
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
            for (int i = 0; i < names.size(); i++) {
                built.threads[i] = threadsByNode.getOrDefault(names.get(i), 1);
            }
            if (withRunning) {
                for (Job j : jobs.values()) {
                    if (j.state() == JobState.RUNNING) {
                        built.take(j.allocation());
                    }
                }
            }
            return built;
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
            return fit(job, on, LAYOUT);
        }

        /**
         * Shapes that fit the live pool, with the pool's take and release counts then: while neither moved, the
         * pool is the same and so is the answer (the misfits memo does the same for "does not fit").
         */
        private final Map<Object, Long> fitsNow = new HashMap<>();
        private ResourcePool fitsPool;

        @Override
        public boolean fits(Job job) {
            ResourcePool on = pool();
            if (moreCpusThanFree(job, on)) {
                return false;
            }
            if (fitsPool != on) {
                fitsPool = on;
                fitsNow.clear();
            }
            Object key = job.partitions() == null ? new ShapeKey(shapeOf(job.request()), job.partition()) : null;
            long stamp = ((long) on.takes << 32) | (on.releases & 0xffffffffL);
            if (key != null) {
                Long at = fitsNow.get(key);
                if (at != null && at == stamp) {
                    return true;
                }
            }
            boolean fits = fit(job, on, FIT_ONLY).isPresent();
            if (fits && key != null) {
                fitsNow.put(key, stamp);
            }
            return fits;
        }

        @Override
        public Optional<List<NodeShare>> fitResources(Job job, ResourcePool on) {
            return fit(job, on, RESOURCES);
        }

        @Override
        public boolean fits(Job job, ResourcePool on) {
            return fit(job, on, FIT_ONLY).isPresent();
        }

        /** What a search builds: nothing (present with an empty list when it fits), resources, or the layout too. */
        private static final int FIT_ONLY = 0;
        private static final int RESOURCES = 1;
        private static final int LAYOUT = 2;

        private Optional<List<NodeShare>> fit(Job job, ResourcePool on, int build) {
            if (job.partitions() != null) {
                // -p a,b: the first partition (in the order asked) where it fits now
                List<String> ok = usableParts.getOrDefault(job.id(), List.of(job.partitions().split(",")));
                for (String name : ok) {
                    Optional<List<NodeShare>> f = fit(job.with(b -> {
                        b.partition = name;
                        b.partitions = null;
                    }), on, build);
                    if (f.isPresent()) {
                        chosenPart.put(job.id(), name);
                        return f;
                    }
                }
                return Optional.empty();
            }
            if (moreCpusThanFree(job, on)) {
                return Optional.empty();
            }
            PartitionDef p = partition(job.partition()).orElseThrow();
            JobRequest r = job.request();
            Object shape = new ShapeKey(shapeOf(r), job.partition());
            Map<Object, Integer> failed = misfits.computeIfAbsent(on, k -> new HashMap<>());
            Integer at = failed.get(shape);
            if (at != null && at == on.releases) {
                return Optional.empty();
            }
            Long defMem = defMems.computeIfAbsent(p.name(), k -> Optional.ofNullable(defMemPerCpu(p))).orElse(null);
            Optional<List<NodeShare>> fit;
            if (build == LAYOUT) {
                fit = r.nodeList() == null
                        ? Placer.place(r, on, candidates(job), defMem)
                        : Placer.place(r, on, candidates(job), required(job), defMem);
            } else if (build == RESOURCES) {
                fit = Placer.placeResources(r, on, candidates(job), r.nodeList() == null ? null : required(job), defMem);
            } else {
                fit = Placer.fits(r, on, candidates(job), r.nodeList() == null ? null : required(job), defMem)
                        ? Optional.of(List.of()) : Optional.empty();
            }
            if (fit.isEmpty()) {
                failed.put(shape, on.releases);
            }
            return fit;
        }

        /** The placer's own first test, asked before any memo is looked up: most waiting jobs end here. */
        private static boolean moreCpusThanFree(Job job, ResourcePool on) {
            JobRequest r = job.request();
            return on.freeCpuTotal < (long) r.effectiveTasks() * r.effectiveCpusPerTask();
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
            if (job.adminPriority() != null) {
                return job.adminPriority();
            }
            if (priority == null) {
                priority = weights();
            }
            if (priority.allZero()) {
                // nothing but nice counts (Priority.of says the same): no fairshare or totals to look up
                return -job.request().effectiveNice();
            }
            if (totals == null) {
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
            int pf = partitionSetting(job.partition(), "PriorityJobFactor");
            String q = job.request().qos() != null ? job.request().qos() : "normal";
            Policy.Qos qos = policy.qos().get(q);
            return priority.of(job, now, fs, pf, qos == null ? 0 : qos.priority(), totals);
        }

        @Override
        public int priorityTier(Job job) {
            if (job.partitions() != null) {
                int best = Integer.MIN_VALUE;
                for (String name : job.partitions().split(",")) {
                    best = Math.max(best, partitionSetting(name, "PriorityTier"));
                }
                return best;
            }
            return partitionSetting(job.partition(), "PriorityTier");
        }


        private int partitionSetting(String name, String key) {
            if (name == null) {
                return 0;
            }
            if (settingsOf != config) {
                settingsOf = config;
                tiers.clear();
                factors.clear();
            }
            Map<String, Integer> known = key.equals("PriorityTier") ? tiers : factors;
            Integer v = known.get(name);
            if (v == null) {
                v = partition(name).map(d -> partitionInt(d, key)).orElse(0);
                known.put(name, v);
            }
            return v;
        }

        @Override
        public void start(Job job, List<NodeShare> shares) {
            Instant now = clock.instant();
            if (job.arrayTaskId() != null && job.arrayJobId() != null) {
                Long rid = remainders.get(job.arrayJobId());
                Job remainder = rid == null ? null : jobs.get(rid);
                if (remainder != null) {
                    takeFromRemainder(remainder, job.arrayTaskId());
                    if (remainder.id() == job.id()) {
                        job = job.with(b -> b.version = remainder.version());
                    }
                }
                runningTasks.merge(job.arrayJobId(), 1, Integer::sum);
            }
            if (job.version() == 0) {
                job = job.withReason(Reason.NONE);
                announce(null, job);
            }
            String chosen = chosenPart.get(job.id());
            if (chosen != null) {
                job = job.with(b -> b.partition = chosen);
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
            if (partitionUse != null) {
                long[] u = partitionUse.computeIfAbsent(running.partition(), k -> new long[2]);
                for (NodeShare sh : running.allocation()) {
                    u[0] += sh.cpuIds().size();
                    u[1] += sh.gpuIds().size();
                }
            }
            if (singletons != null && running.request().name() != null) {
                long[] e = singletons.get(running.user() + "\u0000" + running.request().name());
                if (e != null) {
                    e[0]++;
                }
            }
            announce(JobState.PENDING, running);
            events.add(new Decision.AllocationGranted(job.id(), now, running.allocation()));
            events.add(new Decision.Launch(shares.getFirst().node(), job.id(), now, running.allocation(),
                    limit == null ? 0 : limit));
            shares.forEach(s -> refresh(s.node()));
        }

        @Override
        public void plan(Job job, Instant start) {
            if (!planStarts) {
                return;
            }
            planning.put(job.id(), start);
        }

        @Override
        public void hold(Job job, Reason reason) {
            if (job.arrayTaskId() != null && job.arrayJobId() != null && job.state() == JobState.PENDING) {
                // The first task that stays pending gives the remainder its reason.
                if (!arraysReasoned.add(job.arrayJobId())) {
                    return;
                }
                Long rid = remainders.get(job.arrayJobId());
                job = rid == null ? null : jobs.get(rid);
                if (job == null) {
                    return;
                }
            }
            if (job.arrayRemainder()) {
                Long rid = remainders.get(job.arrayJobId());
                job = rid == null ? null : jobs.get(rid);
                if (job == null) {
                    return;
                }
            }
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
                    usedCpus(n.name()), n.memoryMb(),
                    used.containsKey(n.name()) ? used.get(n.name()).mem : 0L, n.lastHeartbeat(), parts,
                    n.address()));
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
