package dev.sluice.nodeagent;

import dev.sluice.contracts.Topics;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.NodeAllocation;
import dev.sluice.contracts.job.Resources;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.contracts.node.LaunchRequested;
import dev.sluice.contracts.step.StepFinished;
import dev.sluice.infra.SluiceTestInfra;
import dev.sluice.nodeagent.launch.TestSettings;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Future;

/**
 * Benchmark, not a test (skipped unless -Dsluice.bench=true; command in docs/benchmarks.md): trivial jobs drained through
 * one node by the agent alone. A burst of LaunchRequested goes to Kafka at once; the clock stops at the last
 * StepFinished.
 */
@QuarkusTest
@QuarkusTestResource(value = SluiceTestInfra.class, restrictToAnnotatedClass = false,
        initArgs = @ResourceArg(name = "postgres", value = "false"))
@QuarkusTestResource(value = StateDirResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = FakeGpuResource.class, restrictToAnnotatedClass = false)
@EnabledIfSystemProperty(named = "sluice.bench", matches = "true")
class NodeAgentBench {

    /** One burst's figures: wall seconds from the first publish to the last StepFinished, publish time, completed. */
    private record Burst(int jobs, double seconds, double publishSeconds, long completed) {
    }

    @Test
    void trivialJobsPerSecond() throws Exception {
        int jobs = Integer.getInteger("sluice.bench.jobs", 1000);
        // A fresh agent JVM first compiles its launch path (C1, then C2): a warm-up burst, not timed, so the timed
        // one shows the steady state a node runs in, as Slurm's figures are.
        int warmup = Integer.getInteger("sluice.bench.warmup", 500);
        Path work = Files.createTempDirectory("sluice-bench");
        TestSettings.openToAll(work);
        List<Integer> cpus = TestSettings.onlineCpus();
        long base = System.currentTimeMillis() * 1000;
        try (EventLog log = new EventLog(SluiceTestInfra.bootstrapServers, Topics.STEP_EVENTS);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                     KafkaSettings.producer(SluiceTestInfra.bootstrapServers, "node-agent-bench"))) {
            Burst cold = warmup > 0 ? burst(log, producer, work, cpus, base, warmup) : null;
            Burst b = burst(log, producer, work, cpus, base + warmup, jobs);
            String line = String.format("%d trivial jobs (sh -c true as nobody, own cgroups, 1 CPU each) on one %d-CPU "
                            + "node: %.1f s from the first LaunchRequested to the last StepFinished = %.0f jobs/s "
                            + "(publishing the burst took %.2f s; %d COMPLETED)%s", jobs, cpus.size(), b.seconds(),
                    jobs / b.seconds(), b.publishSeconds(), b.completed(), cold == null ? ""
                            : String.format("; after a warm-up burst of %d jobs at %.0f jobs/s (the JIT compiling)",
                            cold.jobs(), cold.jobs() / cold.seconds()));
            System.out.println("BENCH " + line);
            Files.writeString(Path.of("target/node-agent-bench.txt"), line + "\n");
        } finally {
            TestFiles.deleteQuietly(work);
        }
    }

    private static Burst burst(EventLog log, KafkaProducer<String, byte[]> producer, Path work, List<Integer> cpus,
                               long base, int jobs) throws Exception {
        Set<Long> ids = new HashSet<>();
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
        for (int i = 0; i < jobs; i++) {
            long id = base + i;
            ids.add(id);
            JobSpec spec = new JobSpec("t", "cpu", null, null, "#!/bin/sh\ntrue\n", work.toString(),
                    "/dev/null", null, Map.of(), Resources.of(1, 1, null), 5);
            records.add(KafkaCloudEvents.toRecord("bench", new LaunchRequested(NodeAgentTest.NODE, id,
                    Instant.now(), TestSettings.NOBODY, spec,
                    List.of(new NodeAllocation(NodeAgentTest.NODE, 1, List.of(cpus.get(i % cpus.size())), 0,
                            List.of())), 5, "sluice"), UUID.randomUUID().toString()));
        }
        long start = System.nanoTime();
        List<Future<?>> sent = new ArrayList<>();
        records.forEach(r -> sent.add(producer.send(r)));
        for (Future<?> f : sent) {
            f.get();
        }
        long published = System.nanoTime();
        TestFiles.await(jobs + " StepFinished", Duration.ofMinutes(10), () -> {
            long n = log.all(StepFinished.class).stream().filter(f -> ids.contains(f.jobId())).count();
            return n >= jobs ? java.util.Optional.of(n) : java.util.Optional.empty();
        });
        long end = System.nanoTime();
        long completed = log.all(StepFinished.class).stream()
                .filter(f -> ids.contains(f.jobId()) && f.state() == JobState.COMPLETED).count();
        log.all(StepFinished.class).stream().filter(f -> ids.contains(f.jobId()) && f.state() != JobState.COMPLETED)
                .limit(3).forEach(f -> System.out.println("BENCH not completed: " + f));
        return new Burst(jobs, (end - start) / 1e9, (published - start) / 1e9, completed);
    }
}
