package dev.sluice.submit.submission;

import dev.sluice.contracts.api.SbatchOptionException;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.scheduler.core.config.ClusterConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JobRequestReaderTest {
    private static final ClusterConfig CLUSTER = ClusterConfig.parse("""
            PartitionName=cpu Nodes=ALL Default=YES
            PartitionName=gpu Nodes=ALL
            """);
    private static final String SCRIPT = "#!/bin/bash\n#SBATCH -n 2\n#SBATCH --mem=2G\n#SBATCH -J fromscript\nhostname\n";

    private static SubmitRequest request(String script, String scriptName, String args) {
        return new SubmitRequest(script, scriptName, args.isBlank() ? List.of() : Arrays.asList(args.split(" ")), null,
                "/home/alice/work", Map.of("A", "1"), "alice", 1000, 1000,
                null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    private static JobSpec read(String script, String args) {
        return new JobRequestReader(CLUSTER).read(request(script, null, args)).spec();
    }

    @Test
    void allowGroupsRefusesAUserOutsideTheGroupsWithSlurmsMessage(@org.junit.jupiter.api.io.TempDir Path dir)
            throws java.io.IOException {
        ClusterConfig cluster = ClusterConfig.parse("""
                PartitionName=cpu Nodes=ALL Default=YES
                PartitionName=lab Nodes=ALL AllowGroups=labgrp,admins
                """);
        Path group = dir.resolve("group");
        // alice (gid 1000, group alice) is a member of labgrp; bob (gid 1001) only has his own group
        java.nio.file.Files.writeString(group, "root:x:0:\nalice:x:1000:\nbob:x:1001:\nlabgrp:x:3000:carol,alice\n");
        JobRequestReader reader = new JobRequestReader(cluster, java.time.Clock.systemUTC(), UnixGroups.fromFile(group));

        assertThat(reader.read(as("alice", 1000, 1000, "-p lab")).spec().partition()).isEqualTo("lab");
        assertThatThrownBy(() -> reader.read(as("bob", 1001, 1001, "-p lab")))
                .isInstanceOf(SbatchOptionException.class)
                .hasMessage("Batch job submission failed: User's group not permitted to use this partition");
        // a partition without AllowGroups among several admits him; root is never refused
        assertThat(reader.read(as("bob", 1001, 1001, "-p lab,cpu")).spec().partition()).isEqualTo("lab,cpu");
        assertThat(reader.read(as("root", 0, 0, "-p lab")).spec().partition()).isEqualTo("lab");
        // the primary group counts too: a user whose gid is labgrp's
        assertThat(reader.read(as("dave", 1002, 3000, "-p lab")).spec().partition()).isEqualTo("lab");
    }

    private static SubmitRequest as(String user, int uid, int gid, String args) {
        return new SubmitRequest("#!/bin/sh\ntrue\n", null, Arrays.asList(args.split(" ")), null,
                "/home/" + user, Map.of(), user, uid, gid,
                null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    @Test
    void commandLineOverridesDirectivesAndTypedFieldsOverrideBoth() {
        JobSpec fromScript = read(SCRIPT, "");
        assertThat(fromScript.resources().ntasks()).isEqualTo(2);
        assertThat(fromScript.resources().memPerNodeMb()).isEqualTo(2048);
        assertThat(fromScript.name()).isEqualTo("fromscript");

        JobSpec fromArgs = read(SCRIPT, "-n 4 --job-name=cli");
        assertThat(fromArgs.resources().ntasks()).isEqualTo(4);
        assertThat(fromArgs.name()).isEqualTo("cli");

        SubmitRequest typed = new SubmitRequest(SCRIPT, null, List.of("-n", "4"), null, "/w", null, "alice", 1, 1,
                "portal", "gpu", "lab", "high", "8", "2", "1-2", null, "500M", null, "1:00:00", "o.txt", "e.txt",
                "gpu:2");
        JobSpec t = new JobRequestReader(CLUSTER).read(typed).spec();
        assertThat(t.name()).isEqualTo("portal");
        assertThat(t.partition()).isEqualTo("gpu");
        assertThat(t.account()).isEqualTo("lab");
        assertThat(t.qos()).isEqualTo("high");
        assertThat(t.resources().ntasks()).isEqualTo(8);
        assertThat(t.resources().cpusPerTask()).isEqualTo(2);
        assertThat(t.resources().nodesMin()).isEqualTo(1);
        assertThat(t.resources().nodesMax()).isEqualTo(2);
        assertThat(t.resources().memPerNodeMb()).isEqualTo(500);
        assertThat(t.resources().gres()).containsExactly("gpu:2");
        assertThat(t.timeLimitMinutes()).isEqualTo(60);
        assertThat(t.stdout()).isEqualTo("o.txt");
        assertThat(t.stderr()).isEqualTo("e.txt");
    }

    @Test
    void defaults() {
        JobSpec s = read("#!/bin/sh\nhostname\n", "");
        assertThat(s.name()).isEqualTo("sbatch");
        assertThat(s.partition()).isEqualTo("cpu");
        assertThat(s.stdout()).isEqualTo("slurm-%j.out");
        assertThat(s.stderr()).isNull();
        assertThat(s.timeLimitMinutes()).isNull();
        assertThat(s.workDir()).isEqualTo("/home/alice/work");
        assertThat(s.env()).containsEntry("A", "1");
        assertThat(s.resources().ntasks()).isNull();
        assertThat(s.resources().exclusive()).isFalse();

        JobSpec named = new JobRequestReader(CLUSTER).read(request("#!/bin/sh\n", "jobs/train.sh", "")).spec();
        assertThat(named.name()).isEqualTo("train.sh");
    }

    @Test
    void wrapMakesTheScript() {
        JobSpec s = read("", "--wrap=hostname");
        assertThat(s.script()).startsWith("#!/bin/sh\n").endsWith("hostname\n");
        assertThat(s.name()).isEqualTo("wrap");
    }

    @Test
    void chdirIsResolvedAgainstTheWorkingDirectory() {
        assertThat(read("#!/bin/sh\n", "-D sub").workDir()).isEqualTo("/home/alice/work/sub");
        assertThat(read("#!/bin/sh\n", "--chdir=/scratch").workDir()).isEqualTo("/scratch");
    }

    @Test
    void gpusPerNodeBecomesGresAndGpusCountsForTheWholeJob() {
        assertThat(read("#!/bin/sh\n", "--gpus=h100:8 -N 2").resources()).satisfies(r -> {
            assertThat(r.gres()).isEmpty();
            assertThat(r.gpusTotal()).isEqualTo(8);
            assertThat(r.gpuType()).isEqualTo("h100");
        });
        assertThat(read("#!/bin/sh\n", "-n 4 --gpus-per-task=1 --mem-per-gpu=10G").resources()).satisfies(r -> {
            assertThat(r.gpusPerTask()).isEqualTo(1);
            assertThat(r.gpuType()).isNull();
            assertThat(r.memPerGpuMb()).isEqualTo(10240);
        });
        assertThat(read("#!/bin/sh\n", "--gpus-per-node=4 --exclusive").resources())
                .satisfies(r -> {
                    assertThat(r.gres()).containsExactly("gpu:4");
                    assertThat(r.exclusive()).isTrue();
                });
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            ''                      | ''               | Batch script is empty!
            '  \\n'                  | ''               | Batch script contains only whitespace!
            'echo hi\\n'             | ''               | This does not look like a batch script.  The first line must start with #! followed by the path to an interpreter.
            '#!/bin/sh\\n'           | -p nosuch        | Batch job submission failed: Invalid partition name specified
            '#!/bin/sh\\n'           | -p cpu,nosuch    | Batch job submission failed: Invalid partition name specified
            '#!/bin/sh\\n'           | --ntasks=0       | Invalid numeric value "0" for --ntasks.
            '#!/bin/sh\\n'           | -c -2            | Invalid numeric value "-2" for --cpus-per-task.
            '#!/bin/sh\\n'           | --mem=lots       | Invalid --mem specification
            '#!/bin/sh\\n'           | --mem-per-cpu=x  | Invalid --mem-per-cpu specification
            '#!/bin/sh\\n'           | --mem=1G --mem-per-cpu=1G | --mem, --mem-per-cpu, and --mem-per-gpu are mutually exclusive.
            '#!/bin/sh\\n'           | --time=soon      | Invalid --time specification
            '#!/bin/sh\\n'           | --foo            | unrecognized option '--foo'
            '#!/bin/sh\\n'           | --time           | option '--time' requires an argument
            '#!/bin/sh\\n'           | --licenses=x     | option '--licenses' is not supported by Sluice yet
            '#!/bin/sh\\n'           | --dependency=afterok:abc | Batch job submission failed: Job dependency problem
            '#!/bin/sh\\n'           | -d sometime:12   | Batch job submission failed: Job dependency problem
            '#!/bin/sh\\n'           | --array=5-2      | Batch job submission failed: Invalid job array specification
            '#!/bin/sh\\n'           | --array=0-2000   | Batch job submission failed: Invalid job array specification
            '#!/bin/sh\\n'           | -a x             | Batch job submission failed: Invalid job array specification
            '#!/bin/sh\\n'           | --begin=someday  | Invalid --begin specification
            '#!/bin/sh\\n'           | --begin=2026-13-01 | Invalid --begin specification
            '#!/bin/sh\\n'           | -w node[01-      | Batch job submission failed: Invalid node name specified
            '#!/bin/sh\\n'           | -m diagonal      | Invalid --distribution specification
            '#!/bin/sh\\n'           | --open-mode=zap  | Invalid --open-mode argument: zap.
            '#!/bin/sh\\n'           | --signal=B:FOO@5 | Invalid --signal specification
            '#!/bin/sh\\n'           | --signal=USR1@70000 | Invalid --signal specification
            '#!/bin/sh\\n'           | --mem=1G --mem-per-gpu=1G | --mem, --mem-per-cpu, and --mem-per-gpu are mutually exclusive.
            '#!/bin/sh\\n'           | job.sh           | Unexpected argument 'job.sh' in args: send the script's text in "script", not its path
            '#!/bin/sh\\n#SBATCH -n 0\\n' | ''           | Invalid numeric value "0" for --ntasks.
            '#!/bin/sh\\n#SBATCH --bogus\\n' | ''        | unrecognized option '--bogus'
            '#!/bin/sh\\n'           | -N 0             | Invalid numeric value "0" for --nodes.
            '#!/bin/sh\\n'           | --gpus=0         | Invalid numeric value "0" for --gpus.
            """)
    void rejectsBadRequestsInSlurmsWords(String script, String args, String message) {
        String s = script.replace("\\n", "\n");
        assertThatThrownBy(() -> read(s, args)).isInstanceOf(SbatchOptionException.class).hasMessage(message);
    }

    @Test
    void scriptArgumentsAreCarriedButNotWithWrap() {
        SubmitRequest withArgs = new SubmitRequest("#!/bin/sh\n", "a.sh", null, List.of("x", "y z"), "/w", null,
                "alice", 1, 1, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
        assertThat(new JobRequestReader(CLUSTER).read(withArgs).spec().scriptArgs()).containsExactly("x", "y z");
        assertThat(read("#!/bin/sh\n", "").scriptArgs()).isNull();
        SubmitRequest wrapArgs = new SubmitRequest(null, null, List.of("--wrap=hostname"), List.of("x"), "/w", null,
                "alice", 1, 1, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
        assertThatThrownBy(() -> new JobRequestReader(CLUSTER).read(wrapArgs))
                .hasMessage("Script arguments not permitted with --wrap option");
    }

    @Test
    void schedulingOptionsReachTheSpec() {
        JobSpec s = read("#!/bin/sh\n#SBATCH -H\n",
                "-d afterok:12:13?afterany:14 -w node[01-02] -x node03 -C a&b -p cpu,gpu --requeue"
                        + " -m cyclic:block --open-mode=a");
        assertThat(s.hold()).isTrue();
        assertThat(s.dependency()).isEqualTo("afterok:12:13?afterany:14");
        assertThat(s.nodeList()).isEqualTo("node[01-02]");
        assertThat(s.excludeNodes()).isEqualTo("node03");
        assertThat(s.constraint()).isEqualTo("a&b");
        assertThat(s.partition()).isEqualTo("cpu,gpu");
        assertThat(s.requeue()).isTrue();
        assertThat(s.distribution()).isEqualTo("cyclic:block");
        assertThat(s.openMode()).isEqualTo("append");
        assertThat(read("#!/bin/sh\n#SBATCH --signal=B:USR1@50\n", "").signal()).isEqualTo("B:10@50");
        assertThat(read("#!/bin/sh\n", "--signal=SIGTERM").signal()).isEqualTo("15@60");

        JobSpec plain = read("#!/bin/sh\n#SBATCH --requeue\n", "--no-requeue");
        assertThat(plain.requeue()).isFalse();
        assertThat(plain.hold()).isNull();
        assertThat(plain.array()).isNull();
        assertThat(plain.dependency()).isNull();
        assertThat(JobRequestReader.arraySize(plain)).isEqualTo(1);
        JobSpec array = read("#!/bin/sh\n", "--array=1,3,5");
        assertThat(array.array()).isEqualTo("1,3,5");
        assertThat(array.stdout()).isEqualTo("slurm-%A_%a.out");
        assertThat(JobRequestReader.arraySize(array)).isEqualTo(3);
    }

    @Test
    void beginIsReadInTheSubmitHostsTimeZone() {
        java.time.ZoneId seoul = java.time.ZoneId.of("Asia/Seoul");
        java.time.Clock clock = java.time.Clock.fixed(java.time.Instant.parse("2026-11-22T05:00:00Z"), seoul);
        JobRequestReader reader = new JobRequestReader(CLUSTER, clock);
        java.util.function.Function<String, java.time.Instant> begin =
                v -> reader.read(request("#!/bin/sh\n", null, "--begin=" + v)).spec().beginTime();
        // 05:00Z is 14:00 in Seoul
        assertThat(begin.apply("now+1hour")).isEqualTo("2026-11-22T06:00:00Z");
        assertThat(begin.apply("now+90")).isEqualTo("2026-11-22T05:01:30Z");
        assertThat(begin.apply("16:00")).isEqualTo("2026-11-22T07:00:00Z");
        assertThat(begin.apply("13:00")).isEqualTo("2026-11-23T04:00:00Z");
        assertThat(begin.apply("2026-12-01T09:30")).isEqualTo("2026-12-01T00:30:00Z");
        assertThat(begin.apply("2026-12-01")).isEqualTo("2026-11-30T15:00:00Z");
        assertThat(begin.apply("tomorrow")).isEqualTo("2026-11-22T15:00:00Z");
        assertThat(begin.apply("teatime")).isEqualTo("2026-11-22T07:00:00Z");
    }

    @Test
    void rejectsRequestsWithoutAnOwnerOrWorkingDirectory() {
        SubmitRequest noUser = new SubmitRequest("#!/bin/sh\n", null, null, null, "/w", null, null, 1, 1,
                null, null, null, null, null, null, null, null, null, null, null, null, null, null);
        assertThatThrownBy(() -> new JobRequestReader(CLUSTER).read(noUser))
                .hasMessage("Missing user: the request must name the submitting user");
        SubmitRequest relative = new SubmitRequest("#!/bin/sh\n", null, null, null, "w", null, "alice", 1, 1,
                null, null, null, null, null, null, null, null, null, null, null, null, null, null);
        assertThatThrownBy(() -> new JobRequestReader(CLUSTER).read(relative))
                .hasMessageStartingWith("Missing or relative workDir");
    }
}
