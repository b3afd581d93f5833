package dev.sluice.scheduler.standby;

import dev.sluice.contracts.kafka.KafkaSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Which scheduler instance schedules: the member of the consumer group {@value #GROUP} that Kafka assigns the one
 * partition of {@value #TOPIC}. Every instance joins the group; the one holding the partition runs a {@link Term}
 * (the scheduling loop), the others stand by. Nothing is ever written to the topic: the group coordinator's
 * assignment is the whole election, so there is no home-made lock, lease or clock to trust.
 *
 * <p>Only while it holds the partition does an instance start a term, and a term's first act (the loop's
 * {@code initTransactions()} on the shared transactional id) fences every older producer of that id. When the
 * partition is revoked (a clean hand-over) the term is stopped before the revocation completes, so the next
 * holder starts after the last commit. When it is lost (this instance was paused or cut off past the session
 * timeout) the term is stopped as soon as the loss is noticed; a commit the old term attempts after the new one
 * initialised fails with a fencing error, so the transactional fencing stays the last line of defence and two
 * instances never both get a batch committed.
 *
 * <p>Membership is dynamic, so a clean shutdown leaves the group at once and the standby is assigned within a
 * rebalance; a killed instance is noticed after {@code session.timeout.ms}. The assignor is cooperative-sticky:
 * an instance that joins never takes the partition from a live holder.
 */
public final class LeaderElection implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LeaderElection.class);
    public static final String TOPIC = "sluice.scheduler.leader";
    public static final String GROUP = "sluice-scheduler-leader";
    static final TopicPartition PARTITION = new TopicPartition(TOPIC, 0);
    /** A term that dies while its instance still holds the partition is started again after this pause. */
    static final Duration RESTART_PAUSE = Duration.ofSeconds(5);

    public enum Role { JOINING, STANDBY, ACTIVE, STOPPED }

    /**
     * @param instanceId     this instance's name, shown as the group member's client id (and thus to the others)
     * @param sessionTimeout how long a silent (killed) holder keeps the leadership: the bulk of a takeover's time
     */
    public record Settings(String bootstrapServers, String groupId, String instanceId, Duration sessionTimeout,
                           short replicationFactor) {
        public static Settings defaults(String bootstrapServers, String instanceId) {
            return new Settings(bootstrapServers, GROUP, instanceId, Duration.ofSeconds(10), (short) 1);
        }
    }

    /** What runs while this instance is the active one: the scheduling loop. */
    public interface Term {
        /** False once it stopped by itself (fenced, failed). */
        boolean alive();

        /** Returns only once the term will produce nothing more. */
        void stop();
    }

    /** A snapshot for the REST endpoint and status lines. */
    public record Status(String instanceId, Role role, Optional<String> active, List<String> members,
                         Optional<Instant> since, long terms) {
    }

    private final Settings settings;
    private final Supplier<Term> termFactory;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Role role = Role.JOINING;
    private volatile Instant since;
    private volatile long terms;
    private volatile String memberId = "";
    private Term term;
    private Instant restartAt;
    private KafkaConsumer<String, byte[]> consumer;
    private final Admin admin;

    public LeaderElection(Settings settings, Supplier<Term> termFactory) {
        this.settings = settings;
        this.termFactory = termFactory;
        this.admin = Admin.create(KafkaSettings.admin(settings.bootstrapServers()));
        this.thread = Thread.ofPlatform().name("scheduler-election").daemon().unstarted(this::run);
    }

    public LeaderElection start() {
        ensureTopic();
        consumer = new KafkaConsumer<>(consumerConfig());
        thread.start();
        return this;
    }

    public Role role() {
        return role;
    }

    public String instanceId() {
        return settings.instanceId();
    }

    /** Who holds the leadership according to the group coordinator, and who stands by. */
    public Status status() {
        Optional<String> active = role == Role.ACTIVE ? Optional.of(settings.instanceId()) : Optional.empty();
        List<String> members = List.of();
        try {
            ConsumerGroupDescription g = admin.describeConsumerGroups(List.of(settings.groupId())).all()
                    .get(5, TimeUnit.SECONDS).get(settings.groupId());
            members = g.members().stream().map(MemberDescription::clientId).sorted().toList();
            if (active.isEmpty()) {
                active = g.members().stream()
                        .filter(m -> m.assignment().topicPartitions().contains(PARTITION))
                        .map(MemberDescription::clientId).findFirst();
            }
        } catch (ExecutionException | java.util.concurrent.TimeoutException | RuntimeException e) {
            LOG.debugf("cannot describe group %s: %s", settings.groupId(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new Status(settings.instanceId(), role, active, members, Optional.ofNullable(since), terms);
    }

    private void ensureTopic() {
        try {
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, settings.replicationFactor()))).all()
                    .get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("Cannot create " + TOPIC + ": " + e.getCause(), e);
            }
        } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Cannot create " + TOPIC + ": " + e, e);
        }
    }

    private Map<String, Object> consumerConfig() {
        Map<String, Object> c = KafkaSettings.consumer(settings.bootstrapServers(), settings.groupId(),
                settings.instanceId());
        // The classic protocol: the session timeout is the client's to choose (the consumer protocol's is the
        // broker's, 45 s by default), and cooperative-sticky keeps the partition with a live holder.
        c.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        c.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        c.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) settings.sessionTimeout().toMillis());
        c.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) Math.max(500, settings.sessionTimeout().toMillis() / 5));
        // Also the rebalance timeout: a revocation waits for the loop to finish its batch (close() waits 30 s).
        c.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 120_000);
        // A topic auto-created with the broker's default partition count would still elect one holder of
        // partition 0, but ensureTopic makes it one partition.
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        return c;
    }

    private final ConsumerRebalanceListener listener = new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            memberId = consumer.groupMetadata().memberId();
            if (partitions.contains(PARTITION)) {
                elected();
            } else if (role == Role.JOINING) {
                role = Role.STANDBY;
                since = Instant.now();
                LOG.infof("Scheduler %s is standing by", settings.instanceId());
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (partitions.contains(PARTITION)) {
                deposed("handed over");
            }
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            if (partitions.contains(PARTITION)) {
                deposed("lost (this instance missed its session timeout)");
            }
        }
    };

    private void elected() {
        if (role == Role.ACTIVE) {
            return;
        }
        terms++;
        LOG.infof("Scheduler %s is now the active scheduler (term %d)", settings.instanceId(), terms);
        role = Role.ACTIVE;
        since = Instant.now();
        term = termFactory.get();
    }

    private void deposed(String why) {
        if (role != Role.ACTIVE) {
            return;
        }
        LOG.warnf("Scheduler %s is no longer active: leadership %s; stopping its loop", settings.instanceId(), why);
        stopTerm();
        role = running ? Role.STANDBY : Role.STOPPED;
        since = Instant.now();
    }

    private void stopTerm() {
        if (term != null) {
            term.stop();
            term = null;
        }
    }

    private void run() {
        try {
            consumer.subscribe(List.of(TOPIC), listener);
            while (running) {
                try {
                    consumer.poll(Duration.ofMillis(200));
                } catch (WakeupException e) {
                    continue;
                } catch (RuntimeException e) {
                    LOG.warnf("Leader election poll failed: %s", e.toString());
                    sleep(1000);
                }
                restartDeadTerm();
            }
        } finally {
            // The loop first, so that its last batch is committed before the standby is given the partition.
            stopTerm();
            role = Role.STOPPED;
            try {
                consumer.close(Duration.ofSeconds(10));
            } catch (RuntimeException e) {
                LOG.debugf("closing the election consumer: %s", e);
            }
        }
    }

    /**
     * A loop that was fenced while this instance still holds the partition: either a stale view (the loss will
     * show in the next polls) or a producer outside the election. Restarted only after a pause and once the group
     * coordinator confirms this member holds the partition, so a deposed instance never fences the new leader.
     */
    private void restartDeadTerm() {
        if (role != Role.ACTIVE || term == null || term.alive()) {
            restartAt = null;
            return;
        }
        Instant now = Instant.now();
        if (restartAt == null) {
            restartAt = now.plus(RESTART_PAUSE);
            LOG.warnf("Scheduler %s: its loop stopped while it holds the leadership; checking again in %d s",
                    settings.instanceId(), RESTART_PAUSE.toSeconds());
            return;
        }
        if (now.isBefore(restartAt)) {
            return;
        }
        restartAt = null;
        if (!confirmedHolder()) {
            return;
        }
        LOG.warnf("Scheduler %s still holds the leadership: starting its loop again", settings.instanceId());
        term.stop();
        terms++;
        term = termFactory.get();
    }

    private boolean confirmedHolder() {
        try {
            ConsumerGroupDescription g = admin.describeConsumerGroups(List.of(settings.groupId())).all()
                    .get(5, TimeUnit.SECONDS).get(settings.groupId());
            return g.members().stream().anyMatch(m -> m.consumerId().equals(memberId)
                    && m.assignment().topicPartitions().contains(PARTITION));
        } catch (ExecutionException | java.util.concurrent.TimeoutException | RuntimeException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Stops the term (its last batch committed) and leaves the group, so a standby takes over at once. */
    @Override
    public void close() {
        running = false;
        if (consumer != null && thread.isAlive()) {
            consumer.wakeup();
            try {
                thread.join(Duration.ofSeconds(45));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        admin.close(Duration.ofSeconds(5));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
