package dev.sluice.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Job arrays as a Slurm user meets them, on {@code ./sluice up --nodes 2 --cpus-per-node 2}: {@code sbatch
 * --array=0-5%2} runs six tasks, never more than two at once although four CPUs are free; squeue shows the pending
 * remainder as {@code A_[2-5%2]} beside the running {@code A_0}; each task writes its own slurm-A_a.out with its
 * SLURM_ARRAY_* variables; sacct -j A lists the six tasks as {@code A_0 .. A_5}, COMPLETED, with their own raw ids.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ArrayJobsEndToEndTest {
    static final Pattern SUBMITTED = Pattern.compile("^Submitted batch job (\\d+)$", Pattern.MULTILINE);
    static final Duration WAIT = Duration.ofSeconds(90);

    LocalSluice sluice;
    Path work;

    @BeforeAll
    void up() throws IOException {
        Path home = Files.createTempDirectory("sluice-e2e-array");
        work = Files.createTempDirectory("sluice-e2e-array-work");
        sluice = LocalSluice.up(home, "--nodes", "2", "--cpus-per-node", "2");
        Await.until(WAIT, () -> sluice.cli(work, "sinfo", "-h").out(),
                s -> s.contains("2   idle node[01-02]"), "2 idle nodes in sinfo");
    }

    @AfterAll
    void down() {
        if (sluice != null) {
            sluice.close();
        }
    }

    @Test
    void throttledArrayRunsEveryTaskOnceAtMostTwoAtATime() throws IOException {
        Path dir = Files.createTempDirectory(work, "array");
        Path script = dir.resolve("job.sh");
        Files.writeString(script, """
                #!/bin/bash
                echo "task=$SLURM_ARRAY_TASK_ID array=$SLURM_ARRAY_JOB_ID job=$SLURM_JOB_ID count=$SLURM_ARRAY_TASK_COUNT min=$SLURM_ARRAY_TASK_MIN max=$SLURM_ARRAY_TASK_MAX"
                sleep 4
                """);
        LocalSluice.Result r = sluice.cli(dir, "sbatch", "--array=0-5%2", script.toString());
        Matcher m = SUBMITTED.matcher(r.stdout());
        assertThat(m.find()).as("sbatch: %s%s", r.stdout(), r.stderr()).isTrue();
        long a = Long.parseLong(m.group(1));

        // while the first two run, the rest wait as one line in Slurm's form
        String queue = Await.until(WAIT, () -> sluice.cli(dir, "squeue", "-h", "-j", Long.toString(a), "-o", "%i %T").out(),
                s -> s.lines().anyMatch(l -> l.matches(a + "_\\[[0-9,-]+-5%2] PENDING"))
                        && s.lines().anyMatch(l -> l.matches(a + "_[0-5] RUNNING")),
                "squeue to show running tasks and the pending remainder of array " + a);
        assertThat(queue.lines().filter(l -> l.endsWith("RUNNING")).count()).as(queue).isLessThanOrEqualTo(2);

        List<String> rows = Await.until(WAIT, () -> sluice.cli(dir, "sacct", "-n", "-X", "-P", "-j", Long.toString(a),
                        "-o", "JobID,JobIDRaw,State,Start,End").out().lines().toList(),
                l -> l.size() == 6 && l.stream().allMatch(x -> x.contains("|COMPLETED|")),
                "sacct to list the 6 tasks of array " + a + " COMPLETED");
        List<LocalDateTime[]> spans = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String[] f = rows.get(i).split("\\|");
            assertThat(f[0]).isEqualTo(a + "_" + i);
            assertThat(f[1]).isEqualTo(Long.toString(a + i));
            spans.add(new LocalDateTime[]{LocalDateTime.parse(f[3]), LocalDateTime.parse(f[4])});

            Path out = dir.resolve("slurm-" + a + "_" + i + ".out");
            assertThat(Files.readString(out).strip()).isEqualTo("task=" + i + " array=" + a + " job=" + (a + i)
                    + " count=6 min=0 max=5");
        }
        // %2: at no task's start are more than two tasks running (a task runs from its Start up to its End)
        for (LocalDateTime[] s : spans) {
            long running = spans.stream().filter(o -> !o[0].isAfter(s[0]) && o[1].isAfter(s[0])).count();
            assertThat(running).as("tasks running when one started at %s: %s", s[0], rows).isLessThanOrEqualTo(2);
        }
        assertThat(spans.stream().map(s -> s[0]).distinct().count()).as("the throttle held tasks back: %s", rows)
                .isGreaterThanOrEqualTo(3);
    }
}
