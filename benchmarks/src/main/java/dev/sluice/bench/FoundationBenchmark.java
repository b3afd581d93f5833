package dev.sluice.bench;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.Topics;
import dev.sluice.contracts.cloudevents.CloudEvent;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.JobStateChanged;
import dev.sluice.contracts.kafka.KafkaSettings;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

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
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The foundation's baselines against a running local Sluice: submit-to-COMPLETED latency of a trivial job (one at
 * a time, so the figure is latency, not queueing), and accepted submissions per second through REST. Completion is
 * observed on Kafka itself (the scheduler's COMPLETED event), not by polling an API.
 *
 * <pre>bench/foundation.sh [latency-jobs] [rest-submissions] [rest-clients]</pre>
 */
public final class FoundationBenchmark {
    private static final String TRIVIAL = "#!/bin/bash\ntrue\n";

    public static void main(String[] args) throws Exception {
        Path home = Path.of(System.getenv().getOrDefault("SLUICE_HOME", ".sluice"));
        Properties endpoints = new Properties();
        try (var in = Files.newInputStream(home.resolve("endpoints.properties"))) {
            endpoints.load(in);
        }
        int latencyJobs = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int restJobs = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        int clients = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        String submit = endpoints.getProperty("submit.url");
        String kafka = endpoints.getProperty("kafka.bootstrap.servers");
        Path workDir = Files.createTempDirectory("sluice-bench");

        Map<Long, Long> completedAt = new ConcurrentHashMap<>();
        Thread watcher = Thread.ofPlatform().daemon().start(() -> watchCompletions(kafka, completedAt));
        HttpClient http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(clients)).build();

        // Warm-up: the JITs of every service along the path.
        for (int i = 0; i < 10; i++) {
            long id = submit(http, submit, workDir);
            awaitCompleted(completedAt, id, Duration.ofSeconds(60));
        }

        List<Double> latencies = new ArrayList<>();
        for (int i = 0; i < latencyJobs; i++) {
            long start = System.nanoTime();
            long id = submit(http, submit, workDir);
            long end = awaitCompleted(completedAt, id, Duration.ofSeconds(60));
            latencies.add((end - start) / 1e6);
            if ((i + 1) % 10 == 0) {
                System.err.printf("latency: %d/%d jobs%n", i + 1, latencyJobs);
            }
        }
        Collections.sort(latencies);

        AtomicInteger next = new AtomicInteger();
        AtomicLong failures = new AtomicLong();
        AtomicLong lastId = new AtomicLong();
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
            for (int c = 0; c < clients; c++) {
                pool.submit(() -> {
                    while (next.getAndIncrement() < restJobs) {
                        try {
                            lastId.accumulateAndGet(submit(http, submit, workDir), Math::max);
                        } catch (Exception e) {
                            failures.incrementAndGet();
                        }
                    }
                });
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.err.println("waiting for the REST burst to drain through the node(s)...");
        awaitCompleted(completedAt, lastId.get(), Duration.ofMinutes(10));
        double drainSeconds = (System.nanoTime() - t0) / 1e9;

        System.out.printf("""
                {
                  "submit_to_completed_ms": {"jobs": %d, "median": %.1f, "p99": %.1f, "min": %.1f, "max": %.1f},
                  "rest_submissions": {"jobs": %d, "clients": %d, "seconds": %.2f, "per_second": %.1f, "failures": %d},
                  "drain": {"jobs": %d, "seconds_from_first_submit": %.1f, "jobs_per_second": %.1f}
                }
                """, latencyJobs, pct(latencies, 50), pct(latencies, 99), latencies.getFirst(), latencies.getLast(),
                restJobs, clients, seconds, restJobs / seconds, failures.get(),
                restJobs, drainSeconds, restJobs / drainSeconds);
        watcher.interrupt();
        System.exit(0);
    }

    private static long submit(HttpClient http, String submit, Path workDir) throws IOException, InterruptedException {
        String body = "{\"script\":" + quote(TRIVIAL) + ",\"args\":[\"--output=/dev/null\"],\"workDir\":"
                + quote(workDir.toString()) + ",\"user\":\"" + System.getProperty("user.name")
                + "\",\"uid\":0,\"gid\":0}";
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(submit + "/api/v1/jobs"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new IOException("submit answered " + r.statusCode() + ": " + r.body());
        }
        var m = java.util.regex.Pattern.compile("\"jobId\"\\s*:\\s*(\\d+)").matcher(r.body());
        if (!m.find()) {
            throw new IOException("no job id in " + r.body());
        }
        return Long.parseLong(m.group(1));
    }

    private static long awaitCompleted(Map<Long, Long> completedAt, long id, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Long t = completedAt.get(id);
            if (t != null) {
                return t;
            }
            Thread.sleep(1);
        }
        throw new IllegalStateException("job " + id + " did not complete within " + timeout);
    }

    private static void watchCompletions(String kafka, Map<Long, Long> completedAt) {
        try (var consumer = new KafkaConsumer<String, byte[]>(KafkaSettings.consumer(kafka, null, "bench"))) {
            List<TopicPartition> parts = consumer.partitionsFor(Topics.JOB_EVENTS).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToEnd(parts);
            while (!Thread.currentThread().isInterrupted()) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                    KafkaCloudEvents.fromRecord(r).map(CloudEvent::data).ifPresent(e -> record(e, completedAt));
                }
            }
        } catch (org.apache.kafka.common.errors.InterruptException e) {
            // stopping
        }
    }

    private static void record(Event e, Map<Long, Long> completedAt) {
        if (e instanceof JobStateChanged c && c.state().isTerminal()) {
            if (c.state() != JobState.COMPLETED) {
                System.err.println("job " + c.jobId() + " ended " + c.state() + " " + c.detail());
            }
            completedAt.put(c.jobId(), System.nanoTime());
        }
    }

    private static double pct(List<Double> sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }
}
