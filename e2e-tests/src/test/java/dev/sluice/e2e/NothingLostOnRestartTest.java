package dev.sluice.e2e;

import dev.sluice.contracts.EventCatalog;
import dev.sluice.contracts.Topics;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.contracts.tests.EventValidator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A job acknowledged to a user is never lost and never run twice, even when the scheduler and the submit service
 * are killed ({@code kill -9}) while jobs wait. Then every event the run put on Kafka is checked against its
 * JSON Schema.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NothingLostOnRestartTest {
    static final List<String> AUDITED_TOPICS = List.of(Topics.JOB_COMMANDS, Topics.JOB_EVENTS, Topics.NODE_COMMANDS,
            Topics.NODE_EVENTS, Topics.STEP_EVENTS);

    LocalSluice sluice;
    Path dir;

    @BeforeAll
    void up() throws IOException {
        sluice = LocalSluice.up(Files.createTempDirectory("sluice-e2e-restart-home"));
        dir = Files.createTempDirectory("sluice-e2e-restart-work");
        Files.writeString(dir.resolve("count.sh"), """
                #!/bin/bash
                #SBATCH --output=/dev/null
                echo "$SLURM_JOB_ID" >> ran.txt
                sleep 1
                """);
    }

    @AfterAll
    void down() {
        if (sluice != null) {
            sluice.close();
        }
    }

    @Test
    @Order(1)
    void killingTheSchedulerAndSubmitWhileJobsWaitLosesNoneAndRunsNoneTwice() throws IOException {
        List<Long> before = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            before.add(submit());
        }

        long scheduler = sluice.pidOf("scheduler");
        kill(scheduler);
        for (int i = 0; i < 6; i++) {
            before.add(submit()); // submit keeps accepting: the submissions wait in Kafka for the scheduler
        }
        Await.until(Duration.ofSeconds(120), () -> sluice.pidOf("scheduler"),
                pid -> pid != scheduler && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
                "the supervisor to restart the scheduler");

        kill(sluice.pidOf("submit"));
        List<Long> after = new ArrayList<>();
        after.add(Await.until(Duration.ofSeconds(120), this::trySubmit, id -> id > 0,
                "sbatch to be accepted again after submit restarted"));
        for (int i = 0; i < 5; i++) {
            after.add(submit());
        }
        assertThat(after.getFirst()).as("ids keep increasing across a restart of submit")
                .isGreaterThan(before.stream().mapToLong(Long::longValue).max().orElseThrow());

        List<Long> all = new ArrayList<>(before);
        all.addAll(after);
        String ids = all.stream().map(String::valueOf).collect(Collectors.joining(","));
        String states = Await.until(Duration.ofSeconds(240),
                () -> sluice.cli(dir, "sacct", "-j", ids, "-X", "-P", "-n", "-o", "JobID,State").stdout(),
                out -> out.lines().filter(l -> l.endsWith("|COMPLETED")).count() == all.size(),
                "all " + all.size() + " jobs COMPLETED in sacct");
        assertThat(states.lines().count()).isEqualTo(all.size());

        List<Long> ran = Files.readAllLines(dir.resolve("ran.txt")).stream().map(Long::parseLong).sorted().toList();
        assertThat(ran).as("every acknowledged job ran exactly once").containsExactlyElementsOf(
                all.stream().sorted().toList());
    }

    @Test
    @Order(2)
    void everyEventTheRunProducedMatchesItsSchema() {
        String bootstrap = sluice.endpoints().getProperty("kafka.bootstrap.servers");
        EventValidator validator = new EventValidator();
        Map<String, Integer> seen = new TreeMap<>();
        List<String> violations = new ArrayList<>();
        try (var consumer = new KafkaConsumer<String, byte[]>(KafkaSettings.consumer(bootstrap, null, "e2e-audit"))) {
            List<TopicPartition> parts = new ArrayList<>();
            for (String topic : AUDITED_TOPICS) {
                consumer.partitionsFor(topic).forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            long deadline = System.currentTimeMillis() + 60_000;
            while (System.currentTimeMillis() < deadline
                    && parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    String type = new String(r.headers().lastHeader("ce_type").value());
                    seen.merge(type, 1, Integer::sum);
                    validator.violations(r).forEach(v -> violations.add(r.topic() + "@" + r.offset() + ": " + v));
                }
            }
        }
        assertThat(violations).isEmpty();
        // Every type of a batch job's path. This run cancels, holds, updates, drains and resumes nothing, so those types
        // (checked against their schemas through their samples in contract-tests) do not occur here.
        Set<String> offPath = Set.of("cancel-requested", "signal-requested", "hold-requested", "release-requested",
                "requeue-requested", "update-requested", "drain-requested", "resume-requested");
        Set<String> expected = EventCatalog.all().stream().filter(e -> AUDITED_TOPICS.contains(e.topic()))
                .map(EventCatalog.Entry::type)
                .filter(t -> offPath.stream().noneMatch(t::contains))
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(expected).as("the job's path").contains("sluice.job.submitted.v1", "sluice.job.state-changed.v1",
                "sluice.node.launch-requested.v1", "sluice.step.finished.v1");
        assertThat(seen.keySet()).as("event types produced by a real run").containsAll(expected);
    }

    private long submit() {
        long id = trySubmit();
        assertThat(id).as("sbatch accepted the job").isPositive();
        return id;
    }

    private long trySubmit() {
        LocalSluice.Result r = sluice.cli(dir, "sbatch", "--parsable", "count.sh");
        return r.exitCode() == 0 ? Long.parseLong(r.stdout().trim().split(";")[0]) : -1;
    }

    private static void kill(long pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        Await.until(Duration.ofSeconds(30), () -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
                alive -> !alive, "pid " + pid + " to die");
    }

}
