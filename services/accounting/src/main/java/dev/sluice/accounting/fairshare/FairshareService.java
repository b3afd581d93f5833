package dev.sluice.accounting.fairshare;

import dev.sluice.accounting.admin.AdminService;
import dev.sluice.accounting.admin.AdminState;
import dev.sluice.accounting.billing.BillingConfig;
import dev.sluice.accounting.billing.TresBilling;
import dev.sluice.contracts.accounting.FairshareUsage;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.scheduler.core.config.SlurmTime;
import dev.sluice.scheduler.core.fairshare.ShareTree;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * Fairshare usage per user association (Slurm's RawUsage: billing-weighted seconds, decayed), computed from the job
 * history, and published as {@code sluice.accounting.fairshare-usage.v1} on {@code sluice.accounting.events}: every
 * PriorityCalcPeriod (default 5 minutes, {@code sluice.accounting.fairshare-interval} overrides), at start, and
 * about a second after the history consumer recorded a job starting or ending. Every publish carries every user
 * association (and each account's subtree total, user absent), so a consumer that keeps the latest per key holds
 * the whole picture.
 */
@ApplicationScoped
public class FairshareService {
    private static final Logger LOG = Logger.getLogger(FairshareService.class);

    // Usage is summed per group of jobs that bill alike, so the database returns a handful of rows however long
    // the history; billing (the partition's weights) is applied per group in Java.
    private static final String GROUPS = """
            SELECT coalesce(account, ''), coalesce(user_name, ''), partition_name, coalesce(alloc_cpus, 0),
                   coalesce(alloc_mem_mb, 0), coalesce(alloc_nodes, 1), coalesce(alloc_gpus, 0), %s,
                   sum(%s)
            FROM jobs
            WHERE start_time IS NOT NULL AND start_time < ? AND (end_time IS NULL OR end_time > ?)
            GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
            """;
    // 2^-(age/H) at the end minus at the (horizon-clipped) start; times H/ln2 in Java (see UsageDecay).
    private static final String DECAYED = """
            power(2::float8, -extract(epoch FROM (?::timestamptz - LEAST(coalesce(end_time, ?::timestamptz),
                                                                    ?::timestamptz)))::float8 / ?)
            - power(2::float8, -extract(epoch FROM (?::timestamptz - GREATEST(start_time, ?::timestamptz)))::float8 / ?)
            """;
    private static final String PLAIN = """
            extract(epoch FROM (LEAST(coalesce(end_time, ?::timestamptz), ?::timestamptz)
                                - GREATEST(start_time, ?::timestamptz)))::float8
            """;

    @Inject
    DataSource dataSource;
    @Inject
    AdminService admin;
    @Inject
    BillingConfig billing;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @ConfigProperty(name = "sluice.accounting.fairshare-interval")
    Optional<Duration> interval;

    Clock clock = Clock.systemUTC();
    private UsageDecay decay;
    private boolean fairTree;
    private KafkaProducer<String, byte[]> producer;
    private volatile Thread thread;
    private final Object signal = new Object();
    private boolean changed;

    void onStart(@Observes @Priority(20) StartupEvent ev) {
        Map<String, String> settings = billing.cluster().settings();
        decay = UsageDecay.fromSettings(settings, ZoneId.systemDefault());
        fairTree = !settings.getOrDefault("priorityflags", "").toUpperCase(Locale.ROOT).contains("NO_FAIR_TREE");
        Duration every = interval.orElseGet(() -> {
            Integer m = SlurmTime.parseMinutes(settings.getOrDefault("prioritycalcperiod", "5"));
            return Duration.ofMinutes(m == null || m <= 0 ? 5 : m);
        });
        producer = new KafkaProducer<>(KafkaSettings.producer(bootstrapServers, "sluice-accounting-fairshare"));
        thread = Thread.ofPlatform().daemon().name("accounting-fairshare").start(() -> loop(every));
    }

    void onStop(@Observes ShutdownEvent ev) {
        Thread t = thread;
        if (t != null) {
            t.interrupt();
            try {
                t.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (producer != null) {
            producer.close();
        }
    }

    /** Called by the history consumer after it recorded a job starting or ending. */
    public void changed() {
        synchronized (signal) {
            changed = true;
            signal.notifyAll();
        }
    }

    public UsageDecay decay() {
        return decay;
    }

    public boolean fairTree() {
        return fairTree;
    }

    private void loop(Duration every) {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                publish();
            } catch (Exception e) {
                LOG.warnf(e, "Could not publish fairshare usage; trying again at the next change or period");
            }
            try {
                synchronized (signal) {
                    long deadline = System.nanoTime() + every.toNanos();
                    while (!changed) {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            break;
                        }
                        TimeUnit.NANOSECONDS.timedWait(signal, left);
                    }
                    changed = false;
                }
                // a burst of job ends (a batch of the consumer, a job array) becomes one publish
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Computes the usage now and sends one event per user association and per account; waits for the acks. */
    public List<FairshareUsage> publish() throws Exception {
        Instant now = clock.instant();
        Map<String, Double> usage = usage(decay, now);
        String cluster = admin.cluster();
        AdminState state = admin.snapshot();
        ShareTree tree = Sshare.tree(state, cluster, usage);
        List<FairshareUsage> events = new ArrayList<>();
        Map<String, Boolean> seen = new HashMap<>();
        for (ShareTree.Node u : tree.users()) {
            int at = u.name().lastIndexOf('@');
            String user = u.name().substring(0, at);
            String account = u.name().substring(at + 1);
            seen.put(Sshare.key(account, user), true);
            events.add(new FairshareUsage(cluster, account, user, u.usage(), now));
        }
        // Jobs of users without an association (no enforcement) still count for them.
        usage.forEach((k, v) -> {
            if (!seen.containsKey(k)) {
                String[] p = k.split("\u0000", 2);
                if (!p[0].isEmpty() && !p[1].isEmpty()) {
                    events.add(new FairshareUsage(cluster, p[0], p[1], v, now));
                }
            }
        });
        addAccounts(tree.root(), cluster, now, events);
        List<Future<?>> sent = new ArrayList<>();
        for (FairshareUsage e : events) {
            sent.add(producer.send(KafkaCloudEvents.toRecord("/sluice/accounting", e)));
        }
        for (Future<?> f : sent) {
            f.get(30, TimeUnit.SECONDS);
        }
        return events;
    }

    private static void addAccounts(ShareTree.Node n, String cluster, Instant now, List<FairshareUsage> out) {
        if (n.isUser()) {
            return;
        }
        out.add(new FairshareUsage(cluster, n.name(), null, n.usage(), now));
        for (ShareTree.Node c : n.children()) {
            addAccounts(c, cluster, now, out);
        }
    }

    /** Raw usage per user association ({@link Sshare#key}) at {@code now}. */
    public Map<String, Double> usage(UsageDecay d, Instant now) throws SQLException {
        Instant from = d.countFrom(now);
        Timestamp n = Timestamp.from(now);
        Timestamp f = Timestamp.from(from == null ? Instant.EPOCH : from);
        String sql = GROUPS.formatted("coalesce(alloc_gpu_type, gpu_type, '')", d.decays() ? DECAYED : PLAIN);
        Map<String, Double> out = new HashMap<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement p = c.prepareStatement(sql)) {
            int i = 1;
            if (d.decays()) {
                double h = d.halfLife().toMillis() / 1000.0;
                p.setTimestamp(i++, n);
                p.setTimestamp(i++, n);
                p.setTimestamp(i++, n);
                p.setDouble(i++, h);
                p.setTimestamp(i++, n);
                p.setTimestamp(i++, f);
                p.setDouble(i++, h);
            } else {
                p.setTimestamp(i++, n);
                p.setTimestamp(i++, n);
                p.setTimestamp(i++, f);
            }
            p.setTimestamp(i++, n);
            p.setTimestamp(i, f);
            double scale = d.decays() ? d.halfLife().toMillis() / 1000.0 / Math.log(2) : 1.0;
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    double seconds = r.getDouble(9) * scale;
                    if (seconds <= 0) {
                        continue;
                    }
                    String gpuType = r.getString(8);
                    int gpus = r.getInt(7);
                    Map<String, Integer> gres = gpus == 0 ? Map.of()
                            : gpuType.isEmpty() ? Map.of("gpu", gpus) : Map.of("gpu:" + gpuType, gpus);
                    double billed = billing.forPartition(r.getString(3)).bill(
                            new TresBilling.Alloc(r.getInt(4), r.getLong(5), r.getInt(6), gres));
                    out.merge(Sshare.key(r.getString(1), r.getString(2)), billed * seconds, Double::sum);
                }
            }
        }
        return out;
    }

    /** sshare's lines now. */
    public List<Sshare.Line> lines() throws SQLException {
        Instant now = clock.instant();
        return Sshare.lines(Sshare.tree(admin.snapshot(), admin.cluster(), usage(decay, now)), fairTree);
    }
}
