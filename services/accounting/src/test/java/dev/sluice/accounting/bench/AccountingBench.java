package dev.sluice.accounting.bench;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.Topics;
import dev.sluice.contracts.cloudevents.Json;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.job.AllocationGranted;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.JobStateChanged;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.contracts.job.NodeAllocation;
import dev.sluice.contracts.job.Owner;
import dev.sluice.contracts.job.Resources;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.infra.SluiceTestInfra;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

import static io.restassured.RestAssured.given;

/**
 * Benchmarks, not tests: skipped unless {@code -Dsluice.bench=true}. Results go to stdout and
 * {@code target/accounting-bench.txt}; docs/benchmarks.md ({@code ## Accounting}) has the command and the figures.
 * <ul>
 * <li>ingest: job lifecycles (submitted, pending, running, allocation, completed) produced onto the real topics of a
 * real broker as fast as one producer sends them, until the real history consumer has committed them all to real
 * PostgreSQL;</li>
 * <li>sacct: {@code -u <user> -S <day> -E <day+1>} through REST over 1,000,000 stored jobs made with SQL.</li>
 * </ul>
 */
@QuarkusTest
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.MethodName.class)
@QuarkusTestResource(value = SluiceTestInfra.class, restrictToAnnotatedClass = false,
        initArgs = @ResourceArg(name = "database", value = "accounting"))
class AccountingBench {
    static final Path OUT = Path.of("target/accounting-bench.txt");

    @Inject
    DataSource dataSource;
    @Inject
    dev.sluice.accounting.ingest.HistoryConsumer consumer;
    @Inject
    dev.sluice.accounting.jobcomp.JobcompPublisher jobcomp;

    @BeforeEach
    void onlyWhenAsked() {
        Assumptions.assumeTrue(Boolean.getBoolean("sluice.bench"), "benchmark: run with -Dsluice.bench=true");
    }

    static void report(String line) {
        System.out.println("BENCH " + line);
        try {
            Files.writeString(OUT, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void ingest() throws Exception {
        int jobs = Integer.getInteger("sluice.bench.jobs", 40_000);
        long base = 50_000_000L;
        Instant t = Instant.now().minus(2, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
        List<Event> events = new ArrayList<>(jobs * 5);
        for (int i = 0; i < jobs; i++) {
            long id = base + i;
            String user = "bench" + (i % 100);
            var spec = new JobSpec("b" + i, "cpu", "bench", "normal", "#!/bin/bash\ntrue\n", "/home/" + user,
                    "slurm-%j.out", null, Map.of(), Resources.of(1, 2, 1024L), 60);
            Instant s = t.plusSeconds(i);
            events.add(new JobSubmitted(id, s, new Owner(user, 2000, 2000), spec));
            events.add(new JobStateChanged(id, 1, null, JobState.PENDING, "None", null, s, null, null, null));
            events.add(new JobStateChanged(id, 2, JobState.PENDING, JobState.RUNNING, "None", null, s.plusSeconds(1),
                    null, null, "node01"));
            events.add(new AllocationGranted(id, s.plusSeconds(1),
                    List.of(new NodeAllocation("node01", 1, List.of(0, 1), 1024, List.of()))));
            events.add(new JobStateChanged(id, 3, JobState.RUNNING, JobState.COMPLETED, "None", null,
                    s.plusSeconds(61), 0, 0, "node01"));
        }
        Map<String, Object> props = new HashMap<>(KafkaSettings.producer(SluiceTestInfra.bootstrapServers, "bench"));
        props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
        // The consumer is held while the backlog is produced, so the producer cannot be the limit: the clock runs
        // from its release to the moment the group's committed offsets reach the end of every topic (offsets are
        // committed only after the batch's database transaction, so every row is then visible).
        given().get("/q/health/ready").then().statusCode(200);
        consumer.hold();
        long p0 = System.nanoTime();
        try (var p = new KafkaProducer<String, byte[]>(props)) {
            for (Event e : events) {
                p.send(KafkaCloudEvents.toRecord("bench/accounting", e));
            }
            p.flush();
        }
        long produced = System.nanoTime();
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        var os = (com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        var st = consumer.stats();
        long e0 = st.events.sum();
        long cpuThread0 = threads.getThreadCpuTime(st.threadId);
        long cpuProc0 = os.getProcessCpuTime();
        long sent0 = jobcomp.publishedCount();
        long jobcompBusy0 = jobcomp.busyNanos();
        double load0 = os.getSystemLoadAverage();
        String before = st.describe();
        long t0 = System.nanoTime();
        consumer.release();
        awaitConsumed(Duration10min());
        long t1 = System.nanoTime();
        double secs = (t1 - t0) / 1e9;
        double thread = (threads.getThreadCpuTime(st.threadId) - cpuThread0) / 1e9;
        double proc = (os.getProcessCpuTime() - cpuProc0) / 1e9;
        // jobcomp runs behind the history on its own thread: how long until it had sent every finished job
        long deadline = System.nanoTime() + Duration10min();
        // Every hand-over happened before its offsets were committed, so once the worker is idle it has sent them
        // all (jobs marked by an earlier run on a kept database are not sent again).
        while (!jobcomp.idle()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("jobcomp did not catch up: " + (jobcomp.publishedCount() - sent0));
            }
            Thread.sleep(20);
        }
        double jobcompSecs = (System.nanoTime() - t0) / 1e9;
        report(String.format("ingest: %d events (%d jobs) pre-produced in %.1f s; the consumer, released, had them "
                        + "all committed in PostgreSQL after %.1f s wall: %.0f events/s; CPU: consumer thread %.1f s, "
                        + "whole JVM %.1f s (PostgreSQL not included); load average %.1f before, %.1f after",
                events.size(), jobs, (produced - p0) / 1e9, secs, events.size() / secs, thread, proc, load0,
                os.getSystemLoadAverage()));
        report(String.format("  jobcomp (its own thread): all %d finished jobs sent %.1f s after the release "
                        + "(%.1f s behind the history), the worker busy %.1f s", jobcomp.publishedCount() - sent0,
                jobcompSecs, jobcompSecs - secs, (jobcomp.busyNanos() - jobcompBusy0) / 1e9));
        report("  consumer stages (cumulative since start; before the run: " + before + "): " + st.describe()
                + "; events this run " + (st.events.sum() - e0));
    }

    private static long Duration10min() {
        return TimeUnit.MINUTES.toNanos(10);
    }

    static void awaitConsumed(long timeoutNanos) throws Exception {
        List<String> topics = List.of(Topics.JOB_COMMANDS, Topics.JOB_EVENTS, Topics.STEP_EVENTS);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                SluiceTestInfra.bootstrapServers))) {
            long deadline = System.nanoTime() + timeoutNanos;
            while (true) {
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                for (var d : admin.describeTopics(topics).allTopicNames().get().values()) {
                    d.partitions().forEach(p -> latest.put(new TopicPartition(d.name(), p.partition()),
                            OffsetSpec.latest()));
                }
                var ends = admin.listOffsets(latest).all().get();
                Map<TopicPartition, OffsetAndMetadata> committed =
                        admin.listConsumerGroupOffsets("sluice-accounting").partitionsToOffsetAndMetadata().get();
                if (ends.entrySet().stream().allMatch(e -> {
                    OffsetAndMetadata c = committed.get(e.getKey());
                    return (c == null ? 0 : c.offset()) >= e.getValue().offset();
                })) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("not consumed in time");
                }
                Thread.sleep(50);
            }
        }
    }

    private record Answer(long micros, int found, Map<String, Double> stages) {
    }

    private static Answer get(HttpClient http, String url) throws Exception {
        long a = System.nanoTime();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        long micros = (System.nanoTime() - a) / 1000;
        if (r.statusCode() != 200) {
            throw new AssertionError(r.statusCode() + " " + r.body());
        }
        Map<String, Double> stages = new java.util.LinkedHashMap<>();
        for (String part : r.headers().firstValue("Server-Timing").orElse("").split(",\\s*")) {
            String[] kv = part.split(";dur=");
            if (kv.length == 2) {
                stages.put(kv[0], Double.parseDouble(kv[1]));
            }
        }
        int found = Json.MAPPER.readTree(r.body()).size();
        return new Answer(micros, found, stages);
    }

    private static long runCli(Path repo, List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(repo.resolve("bin/sacct").toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("SLUICE_ACCOUNTING_URL", "http://localhost:" + io.restassured.RestAssured.port);
        long a = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("bin/sacct did not finish");
        }
        return (System.nanoTime() - a) / 1_000_000;
    }

    @Test
    void sacctOneUserOneDayOverAMillionJobs() throws Exception {
        int rows = Integer.getInteger("sluice.bench.rows", 1_000_000);
        Instant now = Instant.now().truncatedTo(ChronoUnit.DAYS);
        long g0 = System.nanoTime();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            // a year of history: 200 users, one job every ~31 s, each running up to 2 h, 1 in 10 with a batch step
            s.execute("DELETE FROM jobs WHERE job_id >= 60000000");
            s.execute("""
                    INSERT INTO jobs (job_id, job_name, user_name, uid, gid, account, partition_name, qos,
                                      submit_time, req_cpus, req_mem_mb, req_nodes, req_gpus, time_limit_minutes,
                                      work_dir, state_version, state, eligible_time, start_time, end_time, exit_code,
                                      exit_signal, node_list, alloc_time, alloc_cpus, alloc_mem_mb, alloc_nodes,
                                      alloc_gpus, alloc_node_names)
                    SELECT 60000000 + i, 'job' || i, 'u' || (i % 200), 3000 + i % 200, 3000, 'acct' || (i % 20),
                           'cpu', 'normal', ts, 2, 1024, 1, 0, 120, '/home/u' || (i % 200), 3, 'COMPLETED', ts,
                           ts + interval '30 seconds', ts + interval '30 seconds' + (i % 7200) * interval '1 second',
                           0, 0, 'node' || lpad((1 + i % 64)::text, 2, '0'), ts + interval '30 seconds', 2, 1024,
                           1, 0, 'node' || lpad((1 + i % 64)::text, 2, '0')
                    FROM (SELECT i, ?::timestamptz - (? - i) * interval '31.5 seconds' AS ts
                          FROM generate_series(0, ? - 1) AS i) g
                    """.replace("?::timestamptz", "'" + now + "'::timestamptz").replaceFirst("\\?",
                    Integer.toString(rows)).replaceFirst("\\?", Integer.toString(rows)));
            s.execute("""
                    INSERT INTO job_steps (job_id, step_id, node, pid, start_time, end_time, state, exit_code,
                                           exit_signal, cpu_user_ms, cpu_system_ms, max_rss_kb)
                    SELECT job_id, 'batch', node_list, 1, start_time, end_time, 'COMPLETED', 0, 0, 1000, 100, 2048
                    FROM jobs WHERE job_id >= 60000000 AND job_id % 10 = 0
                    ON CONFLICT DO NOTHING""");
            // history that has long been sent on sluice.jobcomp: a restart's sweep finds nothing to send
            s.execute("INSERT INTO jobcomp_sent SELECT job_id FROM jobs WHERE job_id >= 60000000 ON CONFLICT DO NOTHING");
            s.execute("ANALYZE jobs");
            s.execute("ANALYZE job_steps");
        }
        long g1 = System.nanoTime();
        report(String.format("sacct: %d jobs generated with SQL in %.1f s", rows, (g1 - g0) / 1e9));
        String day = now.minus(100, ChronoUnit.DAYS).toString().substring(0, 10);
        String next = now.minus(99, ChronoUnit.DAYS).toString().substring(0, 10);
        // The REST figure is taken as a program (or the CLI) sees it: one GET through java.net.http with the
        // server's own stages from its Server-Timing header. RestAssured is left out of the timed path: its own
        // per-call cost is larger than the server's under load.
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String base = "http://localhost:" + io.restassured.RestAssured.port + "/api/v1/sacct?";
        record Shape(String name, String query) {
        }
        List<Shape> shapes = List.of(
                new Shape("-u uN -S " + day + " -E " + next, "user=u%d&start=" + day + "&end=" + next),
                new Shape("-u uN (default window: since midnight)", "user=u%d"),
                new Shape("-u uN -s CD,F -S " + day + " -E " + next,
                        "user=u%d&state=CD,F&start=" + day + "&end=" + next),
                new Shape("-a -S " + day + " -E " + next + " (every user: ~2,700 jobs)",
                        "allUsers=true&start=" + day + "&end=" + next + "&x=%d"));
        int n = 30;
        String primary = null;
        for (Shape shape : shapes) {
            int found = 0;
            for (int i = 0; i < 5; i++) { // warm-up: JIT, connection pools, plan cache
                found = get(http, base + shape.query().formatted(40 + i)).found;
            }
            long[] ms = new long[n];
            Map<String, double[]> stages = new java.util.LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                Answer a = get(http, base + shape.query().formatted(i % 200));
                ms[i] = a.micros;
                for (var st : a.stages.entrySet()) {
                    stages.computeIfAbsent(st.getKey(), k -> new double[n])[i] = st.getValue();
                }
            }
            Arrays.sort(ms);
            StringBuilder server = new StringBuilder();
            for (var st : stages.entrySet()) {
                double[] v = st.getValue();
                Arrays.sort(v);
                server.append(String.format("%s %.2f, ", st.getKey(), v[n / 2]));
            }
            String line = String.format("sacct %s over %d jobs (%d jobs in the answer), REST: median %.1f ms, "
                            + "p90 %.1f ms, max %.1f ms over %d calls; server (Server-Timing medians, ms): %s",
                    shape.name(), rows, found, ms[n / 2] / 1000.0, ms[n * 9 / 10] / 1000.0, ms[n - 1] / 1000.0, n,
                    server.toString().replaceAll(", $", ""));
            report(line);
            if (primary == null) {
                primary = line;
            }
        }
        // The CLI: bin/sacct is a JVM started per command, so its wall time is that start plus the REST call.
        Path repo = Path.of("../..").toAbsolutePath().normalize();
        if (Files.isExecutable(repo.resolve("bin/sacct")) && Files.exists(repo.resolve("cli/target/sluice-cli.jar"))) {
            long[] cli = new long[10];
            long[] start = new long[10];
            for (int i = 0; i < 10; i++) {
                start[i] = runCli(repo, List.of("--usage"));
                cli[i] = runCli(repo, List.of("-u", "u" + (i % 200), "-S", day, "-E", next));
            }
            Arrays.sort(cli);
            Arrays.sort(start);
            report(String.format("bin/sacct -u uN -S %s -E %s (whole command, its JVM included): median %d ms, "
                    + "p90 %d ms; bin/sacct --usage (the JVM start alone, no request): median %d ms", day, next,
                    cli[5], cli[9], start[5]));
        } else {
            report("bin/sacct: cli/target/sluice-cli.jar not built, CLI not timed");
        }
        long[] db = new long[n];
        try (Connection c = dataSource.getConnection(); var p = c.prepareStatement("SELECT * FROM jobs WHERE "
                + "submit_time IS NOT NULL AND user_name IN (?) AND submit_time <= ? AND (end_time IS NULL OR "
                + "end_time >= ?) ORDER BY job_id")) {
            for (int i = 0; i < n; i++) {
                long a = System.nanoTime();
                p.setString(1, "u" + (i % 200));
                p.setTimestamp(2, java.sql.Timestamp.from(Instant.parse(next + "T00:00:00Z")));
                p.setTimestamp(3, java.sql.Timestamp.from(Instant.parse(day + "T00:00:00Z")));
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        r.getLong(1);
                    }
                }
                db[i] = (System.nanoTime() - a) / 1000;
            }
        }
        Arrays.sort(db);
        report(String.format("  the query alone through JDBC: median %.2f ms", db[n / 2] / 1000.0));
        String plan;
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("EXPLAIN (ANALYZE, FORMAT TEXT) SELECT * FROM jobs WHERE submit_time "
                     + "IS NOT NULL AND user_name = 'u7' AND submit_time <= '" + next + "' AND (end_time IS NULL "
                     + "OR end_time >= '" + day + "') ORDER BY job_id")) {
            StringBuilder b = new StringBuilder();
            while (r.next()) {
                b.append("    ").append(r.getString(1)).append('\n');
            }
            plan = b.toString();
        }
        report("  plan of the primary shape (-u u7):\n" + plan);
    }
}
