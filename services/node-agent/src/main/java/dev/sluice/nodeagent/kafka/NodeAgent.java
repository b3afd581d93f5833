package dev.sluice.nodeagent.kafka;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.Topics;
import dev.sluice.contracts.cloudevents.CloudEvent;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.contracts.kafka.TopicSetup;
import dev.sluice.contracts.kafka.NodeEventSignature;
import dev.sluice.contracts.node.LaunchRequested;
import dev.sluice.contracts.node.NodeDrainRequested;
import dev.sluice.contracts.node.NodeHeartbeat;
import dev.sluice.contracts.node.NodeRegistered;
import dev.sluice.contracts.node.NodeResumeRequested;
import dev.sluice.contracts.node.SignalRequested;
import dev.sluice.contracts.step.StepFinished;
import dev.sluice.contracts.step.StepStarted;
import dev.sluice.launcher.StepLaunch;
import dev.sluice.launcher.StepLauncher;
import dev.sluice.nodeagent.cgroup.CgroupDriver;
import dev.sluice.nodeagent.config.NodeConfig;
import dev.sluice.nodeagent.discovery.Gpus;
import dev.sluice.nodeagent.discovery.NodeHardware;
import dev.sluice.nodeagent.launch.JobSupervisor;
import dev.sluice.nodeagent.launch.StepEventSink;
import dev.sluice.nodeagent.step.HttpRemoteAgents;
import dev.sluice.nodeagent.step.StepService;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.value.registry.ValueRegistry;
import io.quarkus.vertx.http.HttpServer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The agent's Kafka edge: registers the node, heartbeats, reads this node's commands and hands them to the
 * {@link JobSupervisor}, and publishes step events with the acks=all producer.
 */
@ApplicationScoped
public class NodeAgent implements StepEventSink {
    private static final Logger LOG = Logger.getLogger(NodeAgent.class);

    private final NodeConfig config;
    private final String clusterName;
    private final String bootstrapServers;
    private final int configuredPort;

    private final ValueRegistry values;
    private final StepService steps;
    private PeerDirectory peers;
    private Thread startThread;
    private String name;
    private String source;
    private String bootId;
    private NodeHardware hardware;
    private Gpus gpus = Gpus.NONE;
    private CgroupDriver cgroups;
    private Path stateDir;
    private KafkaProducer<String, byte[]> producer;
    private JobSupervisor supervisor;
    private volatile ScheduledExecutorService heartbeats;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private volatile Thread commandThread;
    private volatile boolean stopping;
    private volatile boolean registered;
    private final java.util.concurrent.ExecutorService launcher = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "sluice-launch");
        t.setDaemon(true);
        return t;
    });
    private final Map<Long, CompletableFuture<?>> launching = new java.util.concurrent.ConcurrentHashMap<>();

    public NodeAgent(NodeConfig config,
                     @ConfigProperty(name = "sluice.cluster-name", defaultValue = "sluice") String clusterName,
                     @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
                     @ConfigProperty(name = "quarkus.http.port", defaultValue = "6830") int configuredPort,
                     ValueRegistry values, StepService steps) {
        this.steps = steps;
        this.config = config;
        this.values = values;
        this.clusterName = clusterName;
        this.bootstrapServers = bootstrapServers;
        this.configuredPort = configuredPort;
    }

    void onStart(@Observes StartupEvent ev) throws IOException {
        hardware = NodeHardware.discover(Path.of("/sys"), Path.of("/proc"), config.cpus(), config.memoryMb());
        List<Integer> realSlice = hardware.cpuIds();
        int virtual = config.virtualCpus().orElse(0);
        if (virtual > 0) {
            // a testing/demo node: N CPUs, one socket of N cores, each bound to a real CPU of the slice
            hardware = new NodeHardware(hardware.hostname(), java.util.stream.IntStream.range(0, virtual).boxed()
                    .toList(), 1, virtual, 1, hardware.memoryMb());
        }
        name = config.name().filter(n -> !n.isBlank()).orElse(hardware.shortHostname());
        stateDir = Path.of(config.stateDir().orElse("/tmp/sluice-node-" + name));
        Files.createDirectories(stateDir);
        source = "sluice/node-agent/" + name;
        bootId = UUID.randomUUID().toString();

        TopicSetup.ensureTopics(bootstrapServers, (short) 1);
        producer = new KafkaProducer<>(KafkaSettings.producer(bootstrapServers, "sluice-node-" + name));
        // loaded once at start, not per send; a malformed key stops the agent here rather than at its first event
        nodeKey = NodeEventSignature.configuredNodeKey();
        gpus = Gpus.discover(config.gres(), config.gresFiles(), config.gresCores(), config.nvidiaSmi());
        cgroups = CgroupDriver.of(config.cgroupMode(), Path.of(config.cgroupRoot()), config.cgroupParent());
        StepLauncher launcher = config.launcher().map(p -> new StepLauncher(Path.of(p))).orElseGet(StepLauncher::locate);
        List<StepLaunch.Rlimit> rlimits = config.rlimits().orElse(List.of()).stream().map(String::trim)
                .filter(r -> !r.isEmpty()).map(StepLaunch.Rlimit::parse).toList();
        supervisor = new JobSupervisor(new JobSupervisor.Settings(name, clusterName, stateDir, config.killWait(),
                System.getenv(), launcher, cgroups, hardware.cpuIds(), config.pidsMax(), gpus, rlimits,
                config.prolog().map(Path::of).orElse(null), config.epilog().map(Path::of).orElse(null),
                config.jobsDir().filter(d -> !d.isBlank()).map(Path::of).orElse(null)), this);
        supervisor.tokenKey(config.jobTokenKey().orElse(""));
        supervisor.unkillableStepTimeout(config.unkillableStepTimeout());
        supervisor.drainListener(this::publishDrain);
        if (virtual > 0) {
            supervisor.virtualCpus(realSlice);
            LOG.warnf("Node %s reports %d virtual CPUs on real CPUs %s (sluice.node.virtual-cpus: testing only)", name,
                    virtual, realSlice);
        }
        LOG.infof("Node %s: cgroup %s under %s, GPUs %s (%s), launcher %s", name, cgroups.version(),
                config.cgroupRoot(), gpus.gres(), gpus.source(), launcher.binary());
        List<Long> adopted = supervisor.recover();
        // the HTTP server's real port (random in tests) is only known once it listens, after this event
        startThread = new Thread(() -> registerAndServe(adopted), "sluice-node-start");
        startThread.start();
    }

    /** The port the HTTP server really listens on (random in tests), once it does. */
    private int httpPort() {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!stopping && System.nanoTime() < end) {
            if (values.containsKey(HttpServer.HTTP_PORT)) {
                return values.get(HttpServer.HTTP_PORT);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                break;
            }
        }
        return configuredPort;
    }

    private void registerAndServe(List<Long> adopted) {
        int port = httpPort();
        supervisor.agentAddress(hardware.hostname() + ":" + port);
        peers = new PeerDirectory(bootstrapServers, "sluice-node-" + name + "-peers");
        peers.put(name, hardware.hostname() + ":" + port);
        steps.attach(supervisor, new HttpRemoteAgents(n -> peers.await(n, Duration.ofSeconds(10))),
                config.mpiDefault(), hardware.hostname(), supervisor::physicalCpus);
        // nothing runs here before the cluster knows the node: retry until Kafka takes the registration
        while (!stopping) {
            try {
                send(new NodeRegistered(name, bootId, Instant.now(), hardware.hostname(),
                        hardware.hostname() + ":" + port, hardware.cpuIds().size(), hardware.sockets(),
                        hardware.coresPerSocket(), hardware.threadsPerCore(), hardware.cpuIds(), hardware.memoryMb(),
                        gpus.gres(), List.of(), adopted), null);
                break;
            } catch (RuntimeException e) {
                LOG.warnf("Node registration failed, retrying: %s", e.getMessage());
                try {
                    Thread.sleep(2_000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
        if (stopping) {
            return;
        }
        registered = true;
        // a drain persisted before a restart: the scheduler may have started with an empty state since
        supervisor.drainReason().ifPresent(this::publishDrain);
        LOG.infof("Node %s registered: cpus %s, %d MB, state dir %s, %d job(s) adopted", name, hardware.cpuIds(),
                hardware.memoryMb(), stateDir, adopted.size());
        supervisor.start(config.monitorInterval());

        heartbeats = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "sluice-heartbeat"));
        long every = config.heartbeatInterval().toMillis();
        heartbeats.scheduleAtFixedRate(this::heartbeat, every, every, TimeUnit.MILLISECONDS);
        config.healthCheckProgram().filter(p -> !p.isBlank()).ifPresent(program -> {
            long period = config.healthCheckInterval().toMillis();
            // Slurm runs it once at startup too, before the node takes work
            heartbeats.scheduleWithFixedDelay(() -> supervisor.healthCheck(Path.of(program)), 0, period,
                    TimeUnit.MILLISECONDS);
        });

        consumer = new KafkaConsumer<>(KafkaSettings.consumer(bootstrapServers, "sluice-node-" + name,
                "sluice-node-" + name));
        commandThread = new Thread(this::consumeCommands, "sluice-node-commands");
        commandThread.start();
    }

    void onStop(@Observes ShutdownEvent ev) {
        stopping = true;
        if (startThread != null) {
            try {
                startThread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (consumer != null) {
            consumer.wakeup();
        }
        if (commandThread != null) {
            try {
                commandThread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (heartbeats != null) {
            heartbeats.shutdownNow();
        }
        if (peers != null) {
            peers.close();
        }
        launcher.shutdown();
        if (supervisor != null) {
            supervisor.close();
        }
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
    }

    public String mpiDefault() {
        return config.mpiDefault();
    }

    public String nodeName() {
        return name;
    }

    public NodeHardware hardware() {
        return hardware;
    }

    public Gpus gpus() {
        return gpus;
    }

    public String cgroupVersion() {
        return cgroups == null ? "none" : cgroups.version();
    }

    public List<Long> runningJobs() {
        return supervisor == null ? List.of() : supervisor.runningJobs();
    }

    /** The job supervisor once the agent started; for the REST side and tests. */
    public JobSupervisor supervisor() {
        return supervisor;
    }

    public Optional<String> drainReason() {
        return supervisor == null ? Optional.empty() : supervisor.drainReason();
    }

    public boolean ready() {
        return registered && commandThread != null && commandThread.isAlive();
    }

    @Override
    public void started(StepStarted event) {
        // not awaited: the launch loop must not wait a broker round trip per job. The idempotent producer keeps
        // it ahead of the same job's StepFinished (same key, same partition), which is awaited.
        var record = signed(KafkaCloudEvents.toRecord(source, event, name + "/" + event.jobId()
                + supervisor.runSuffix(event.jobId()) + "/" + event.stepId() + "/started"));
        producer.send(record, (meta, error) -> {
            if (error != null) {
                LOG.warnf("StepStarted of job %d not published: %s", event.jobId(), error.toString());
            }
        });
    }

    @Override
    public void finished(StepFinished event) throws Exception {
        // the same end reported again (after a crash before the "reported" mark) keeps its id, so it dedups
        send(event, name + "/" + event.jobId() + supervisor.runSuffix(event.jobId()) + "/" + event.stepId()
                + "/finished");
    }

    @Override
    public void finished(List<StepFinished> events) throws Exception {
        // all sent, then all awaited: one broker round trip for a burst of ends instead of one per job
        List<java.util.concurrent.Future<?>> acks = new java.util.ArrayList<>();
        for (StepFinished e : events) {
            acks.add(producer.send(signed(KafkaCloudEvents.toRecord(source, e,
                    name + "/" + e.jobId() + supervisor.runSuffix(e.jobId()) + "/" + e.stepId() + "/finished"))));
        }
        for (var ack : acks) {
            ack.get(30, TimeUnit.SECONDS);
        }
    }

    /** sluice.node.signing-key: the scheduler then accepts this node's events only with its signature. */
    private volatile Optional<byte[]> nodeKey = Optional.empty();

    private ProducerRecord<String, byte[]> signed(ProducerRecord<String, byte[]> record) {
        return nodeKey.map(k -> NodeEventSignature.sign(record, name, k)).orElse(record);
    }

    private void send(Event event, String id) {
        var record = signed(id == null ? KafkaCloudEvents.toRecord(source, event)
                : KafkaCloudEvents.toRecord(source, event, id));
        try {
            producer.send(record).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("Cannot publish " + event.getClass().getSimpleName() + ": " + e, e);
        }
    }

    /** Asks the scheduler to drain this node; keyed by node, so it stays in order with the node's heartbeats. */
    private void publishDrain(String reason) {
        if (producer == null) {
            return;
        }
        send(new NodeDrainRequested(name, reason, Instant.now()), null);
    }

    private void heartbeat() {
        supervisor.resumeIfCleared();
        try {
            send(new NodeHeartbeat(name, bootId, Instant.now(), supervisor.runningJobs(), load1()), null);
        } catch (RuntimeException e) {
            LOG.warnf("Heartbeat not sent: %s", e.getMessage());
        }
    }

    private static double load1() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private void consumeCommands() {
        try {
            int partitions = consumer.partitionsFor(Topics.NODE_COMMANDS, Duration.ofSeconds(30)).size();
            TopicPartition mine = new TopicPartition(Topics.NODE_COMMANDS, CommandPartition.of(name, partitions));
            consumer.assign(List.of(mine));
            LOG.infof("Reading commands for %s from %s", name, mine);
            while (!stopping) {
                var records = consumer.poll(Duration.ofSeconds(1));
                long next = -1;
                for (ConsumerRecord<String, byte[]> r : records) {
                    if (name.equals(r.key())) {
                        handle(r);
                    }
                    next = r.offset() + 1;
                }
                // a launch still queued when its offset is committed would be lost in a crash
                for (CompletableFuture<?> f : List.copyOf(launching.values())) {
                    f.join();
                }
                // committed per batch: a crash mid-batch replays a few commands, and a replayed launch or signal
                // changes nothing (the job directory is the "seen it" mark)
                if (next >= 0) {
                    consumer.commitSync(Map.of(mine, new OffsetAndMetadata(next)));
                }
            }
        } catch (WakeupException e) {
            if (!stopping) {
                LOG.error("Command consumer woken up unexpectedly", e);
            }
        } catch (RuntimeException e) {
            LOG.error("Command consumer stopped", e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void handle(ConsumerRecord<String, byte[]> r) {
        Optional<CloudEvent<Event>> ce;
        try {
            ce = KafkaCloudEvents.fromRecord(r);
        } catch (IllegalArgumentException e) {
            LOG.warnf("Skipping a malformed command at offset %d: %s", r.offset(), e.getMessage());
            return;
        }
        if (ce.isEmpty()) {
            return;
        }
        switch (ce.get().data()) {
            case LaunchRequested l -> {
                // launches overlap (cgroup set-up and process start wait on the kernel more than on a CPU)
                CompletableFuture<?> f = CompletableFuture.runAsync(() -> supervisor.launch(l), launcher);
                launching.put(l.jobId(), f);
                f.whenComplete((ignored, e) -> {
                    launching.remove(l.jobId(), f);
                    if (e != null) {
                        LOG.errorf(e, "Launch of job %d failed unexpectedly", l.jobId());
                    }
                });
            }
            case SignalRequested s -> {
                // a cancel right behind its launch applies to the started job, not to nothing
                CompletableFuture<?> pending = launching.get(s.jobId());
                if (pending != null) {
                    pending.exceptionally(e -> null).join();
                }
                if (!supervisor.signal(s.jobId(), s.reason() == null ? "CANCELLED" : s.reason(),
                        Duration.ofSeconds(Math.max(0, s.killWaitSeconds())))) {
                    LOG.infof("Signal for job %d ignored: it does not run here", s.jobId());
                }
            }
            case NodeResumeRequested resume when name.equals(resume.node()) -> supervisor.resume(resume.time());
            default -> LOG.debugf("Ignoring %s on the command topic", ce.get().type());
        }
    }
}
