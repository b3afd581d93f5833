package dev.sluice.e2e;

import dev.sluice.contracts.Topics;
import dev.sluice.contracts.cloudevents.CloudEvent;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.job.AllocationGranted;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.contracts.node.LaunchRequested;
import dev.sluice.contracts.step.StepStarted;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The must-see: {@code ./sluice up --standby-scheduler}, a run of 1,000 jobs, and the active scheduler
 * killed with SIGKILL midway. The standby takes over, and every job runs exactly once: sacct shows 1,000 COMPLETED
 * rows, each job's script appended its id exactly once, and Kafka holds one allocation, one launch and one batch
 * step start per job.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StandbySchedulerEndToEndTest {
    private static final int JOBS = 1000;
    private static final Pattern SUBMITTED = Pattern.compile("\"jobId\"\\s*:\\s*(\\d+)");

    LocalSluice sluice;
    Path dir;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    void up() throws IOException {
        sluice = LocalSluice.up(Files.createTempDirectory("sluice-e2e-standby-home"), "--standby-scheduler",
                "--nodes", "2", "--cpus-per-node", "16");
        dir = Files.createTempDirectory("sluice-e2e-standby-work");
    }

    @AfterAll
    void down() {
        if (sluice != null) {
            sluice.close();
        }
    }

    @Test
    void killingTheActiveSchedulerDuringAThousandJobsTheStandbyTakesOverAndEveryJobRunsOnce() throws Exception {
        assertThat(sluice.sluice("status").stdout()).as("./sluice status names the active scheduler")
                .contains("Scheduler: active scheduler (pid " + sluice.pidOf("scheduler"))
                .contains("standby scheduler-standby (pid " + sluice.pidOf("scheduler-standby"));
        int standbyPort = port("scheduler-standby");
        assertThat(leader(standbyPort)).contains("\"role\":\"STANDBY\"").contains("\"active\":\"scheduler\"");

        String submitUrl = sluice.endpoints().getProperty("submit.url") + "/api/v1/jobs";
        String body = """
                {"script": "#!/bin/sh\\necho \\"$SLURM_JOB_ID\\" >> ran.txt\\n", "scriptName": "once.sh",
                 "args": ["--output=/dev/null"], "workDir": "%s", "user": "root", "uid": 0, "gid": 0}
                """.formatted(dir);
        long killed = sluice.pidOf("scheduler");
        List<Long> ids = Collections.synchronizedList(new ArrayList<>());
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<?>> sent = new ArrayList<>();
            for (int i = 0; i < JOBS; i++) {
                sent.add(pool.submit(() -> ids.add(submit(submitUrl, body))));
            }
            for (int i = 0; i < JOBS; i++) {
                sent.get(i).get();
                if (i == JOBS / 2) {
                    // midway: half the jobs acknowledged, many of them running, the rest still arriving
                    ProcessHandle.of(killed).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
        }
        assertThat(ids).hasSize(JOBS).doesNotHaveDuplicates();
        Await.until(Duration.ofSeconds(30), () -> ProcessHandle.of(killed).map(ProcessHandle::isAlive).orElse(false),
                alive -> !alive, "the active scheduler (pid " + killed + ") to die");

        Await.until(Duration.ofSeconds(120), () -> leader(standbyPort),
                l -> l.contains("\"role\":\"ACTIVE\"") && l.contains("\"scheduling\":true"),
                "scheduler-standby to take over");
        assertThat(sluice.pidOf("scheduler-standby")).as("the standby is the process that was standing by")
                .isNotEqualTo(killed);

        // every job of this fresh cluster (1,000 ids in -j would not fit in one request line)
        java.util.Set<String> ours = ids.stream().map(String::valueOf).collect(Collectors.toSet());
        List<String> rows = Await.until(Duration.ofSeconds(300),
                () -> sluice.cli(dir, "sacct", "-a", "-X", "-P", "-n", "-o", "JobID,State").stdout().lines()
                        .filter(l -> ours.contains(l.split("\\|")[0])).toList(),
                out -> out.stream().filter(l -> l.endsWith("|COMPLETED")).count() == JOBS,
                "all " + JOBS + " jobs COMPLETED in sacct");
        assertThat(rows).as("sacct rows, one per job").hasSize(JOBS);

        List<Long> ran = Files.readAllLines(dir.resolve("ran.txt")).stream().map(Long::parseLong).sorted().toList();
        assertThat(ran).as("every acknowledged job ran exactly once").containsExactlyElementsOf(
                ids.stream().sorted().toList());

        Map<Long, Long> once = new TreeMap<>();
        ids.forEach(id -> once.put(id, 1L));
        Map<String, List<CloudEvent<?>>> log = readAll(Topics.JOB_EVENTS, Topics.NODE_COMMANDS, Topics.STEP_EVENTS);
        assertThat(perJob(log, AllocationGranted.class, AllocationGranted::jobId)).as("allocations per job")
                .isEqualTo(once);
        assertThat(perJob(log, LaunchRequested.class, LaunchRequested::jobId)).as("launches per job").isEqualTo(once);
        Map<Long, Long> batchStarts = log.getOrDefault(Topics.STEP_EVENTS, List.of()).stream()
                .map(CloudEvent::data).filter(StepStarted.class::isInstance).map(StepStarted.class::cast)
                .filter(s -> s.stepId().equals("batch"))
                .collect(Collectors.groupingBy(StepStarted::jobId, TreeMap::new, Collectors.counting()));
        assertThat(batchStarts).as("batch steps started by the node agents, per job").isEqualTo(once);

        Await.until(Duration.ofSeconds(120), () -> sluice.sluice("status").stdout(),
                s -> s.contains("Scheduler: active scheduler-standby") && s.contains("standby scheduler (pid"),
                "./sluice status to show scheduler-standby active and the restarted scheduler standing by");
        assertThat(sluice.endpoints().getProperty("scheduler.url")).as("the CLI follows the active scheduler")
                .endsWith(":" + standbyPort);
        assertThat(sluice.cli(dir, "squeue").exitCode()).as("squeue against the new active scheduler").isZero();
    }

    private long submit(String url, String body) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url))
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            Matcher m = SUBMITTED.matcher(r.body());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            assertThat(m.find()).as(r.body()).isTrue();
            return Long.parseLong(m.group(1));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private String leader(int port) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/scheduler/leader"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body()
                    .replace(" ", "");
        } catch (IOException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private int port(String component) throws IOException {
        java.util.Properties p = new java.util.Properties();
        try (var in = Files.newInputStream(sluice.home().resolve("run").resolve("state.properties"))) {
            p.load(in);
        }
        return Integer.parseInt(p.getProperty(component + ".port"));
    }

    private static <T> Map<Long, Long> perJob(Map<String, List<CloudEvent<?>>> log, Class<T> type,
                                              Function<T, Long> jobId) {
        return log.values().stream().flatMap(List::stream).map(CloudEvent::data).filter(type::isInstance)
                .map(type::cast).collect(Collectors.groupingBy(jobId, TreeMap::new, Collectors.counting()));
    }

    /** Every committed record of the topics, from the beginning to their end now. */
    private Map<String, List<CloudEvent<?>>> readAll(String... topics) {
        String bootstrap = sluice.endpoints().getProperty("kafka.bootstrap.servers");
        Map<String, List<CloudEvent<?>>> out = new TreeMap<>();
        try (var consumer = new KafkaConsumer<String, byte[]>(KafkaSettings.consumer(bootstrap, null, "e2e-standby"))) {
            List<TopicPartition> parts = new ArrayList<>();
            for (String t : topics) {
                consumer.partitionsFor(t).forEach(p -> parts.add(new TopicPartition(t, p.partition())));
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            long deadline = System.currentTimeMillis() + 120_000;
            while (System.currentTimeMillis() < deadline
                    && parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    KafkaCloudEvents.fromRecord(r).ifPresent(e -> out.computeIfAbsent(r.topic(),
                            k -> new ArrayList<>()).add(e));
                }
            }
            assertThat(parts).as("read to the end").allMatch(p -> consumer.position(p) >= end.get(p));
        }
        return out;
    }
}
