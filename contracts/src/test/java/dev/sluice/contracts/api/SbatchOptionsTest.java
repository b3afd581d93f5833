package dev.sluice.contracts.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SbatchOptionsTest {

    private static List<String> words(String line) {
        return line.isBlank() ? List.of() : Arrays.asList(line.trim().split(" +"));
    }

    static Stream<Arguments> commandLines() {
        return Stream.of(
                // argv | options | script | script args
                Arguments.of("job.sh", "", "job.sh", ""),
                Arguments.of("", "", null, ""),
                Arguments.of("-J name job.sh a b", "-J name", "job.sh", "a b"),
                Arguments.of("--job-name name job.sh", "--job-name name", "job.sh", ""),
                Arguments.of("--job-name=name job.sh -n 4", "--job-name=name", "job.sh", "-n 4"),
                Arguments.of("-n4 -c 2 job.sh", "-n4 -c 2", "job.sh", ""),
                Arguments.of("-Hn 4 job.sh", "-Hn 4", "job.sh", ""),
                Arguments.of("--hold --parsable job.sh x", "--hold --parsable", "job.sh", "x"),
                Arguments.of("--exclusive job.sh", "--exclusive", "job.sh", ""),
                Arguments.of("--nice job.sh", "--nice", "job.sh", ""),
                Arguments.of("-k job.sh", "-k", "job.sh", ""),
                Arguments.of("--time 5 -- -weird.sh arg", "--time 5 --", "-weird.sh", "arg"),
                Arguments.of("--wrap hostname", "--wrap hostname", null, ""),
                Arguments.of("--mem 1G --parsable", "--mem 1G --parsable", null, ""));
    }

    @ParameterizedTest
    @MethodSource("commandLines")
    void splitsCommandLines(String argv, String options, String script, String scriptArgs) {
        SbatchArgs split = SbatchOptions.splitCommandLine(words(argv));
        assertThat(split.options()).containsExactlyElementsOf(words(options));
        assertThat(split.scriptPath()).isEqualTo(script);
        assertThat(split.scriptArgs()).containsExactlyElementsOf(words(scriptArgs));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            --foo job.sh          | unrecognized option '--foo'
            --foo=3 job.sh        | unrecognized option '--foo'
            -z job.sh             | invalid option -- 'z'
            --time                | option '--time' requires an argument
            -t                    | option requires an argument -- 't'
            --parsable=yes job.sh | option '--parsable' doesn't allow an argument
            --mem-per job.sh      | option '--mem-per' is ambiguous; possibilities: '--mem-per-cpu' '--mem-per-gpu'
            """)
    void rejectsBadCommandLines(String argv, String message) {
        assertThatThrownBy(() -> SbatchOptions.splitCommandLine(words(argv)))
                .isInstanceOf(SbatchOptionException.class).hasMessage(message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            -J a                  | job-name        | a
            --job=a               | job-name        | a
            -pgpu                 | partition       | gpu
            -A lab -q high        | qos             | high
            -A lab -q high        | account         | lab
            -n 4                  | ntasks          | 4
            -c8                   | cpus-per-task   | 8
            -N 2-4                | nodes           | 2-4
            --ntasks-per-node=8   | ntasks-per-node | 8
            --mem=1G              | mem             | 1G
            --mem-per-cpu 500M    | mem-per-cpu     | 500M
            -t 1-00:00            | time            | 1-00:00
            -o out-%j.txt         | output          | out-%j.txt
            -e err.txt            | error           | err.txt
            -D /tmp/w             | chdir           | /tmp/w
            --gres=gpu:h100:2     | gres            | gpu:h100:2
            -G 8                  | gpus            | 8
            --export=ALL,X=1      | export          | ALL,X=1
            -a 1-10%2             | array           | 1-10%2
            -d afterok:12         | dependency      | afterok:12
            --begin=now+1hour     | begin           | now+1hour
            -w node[01-02]        | nodelist        | node[01-02]
            -x node03             | exclude         | node03
            -C a100               | constraint      | a100
            --wrap=hostname       | wrap            | hostname
            --licenses=matlab     | licenses        | matlab
            -L matlab             | licenses        | matlab
            -J a -J b             | job-name        | b
            """)
    void readsOptionValues(String options, String name, String value) {
        ParsedOptions parsed = SbatchOptions.parse(words(options));
        assertThat(parsed.get(name)).isEqualTo(value);
    }

    @Test
    void namedComponentsCarryTheCommonOptions() {
        ParsedOptions p = SbatchOptions.parse(words(
                "-J hello -p cpu -n 2 -c 4 -N 1 --mem=2G -t 10 -o o.txt -e e.txt -H --exclusive --nice=5 "
                        + "--requeue --no-requeue --parsable -W"));
        assertThat(p.jobName()).isEqualTo("hello");
        assertThat(p.partition()).isEqualTo("cpu");
        assertThat(p.ntasks()).isEqualTo("2");
        assertThat(p.cpusPerTask()).isEqualTo("4");
        assertThat(p.nodes()).isEqualTo("1");
        assertThat(p.mem()).isEqualTo("2G");
        assertThat(p.time()).isEqualTo("10");
        assertThat(p.output()).isEqualTo("o.txt");
        assertThat(p.error()).isEqualTo("e.txt");
        assertThat(p.hold()).isTrue();
        assertThat(p.exclusive()).isEmpty();
        assertThat(p.exclusiveRequested()).isTrue();
        assertThat(p.nice()).isEqualTo("5");
        assertThat(p.requeue()).isFalse();
        assertThat(p.parsable()).isTrue();
        assertThat(p.waitForCompletion()).isTrue();
        assertThat(p.account()).isNull();
        assertThat(p.gres()).isNull();
    }

    @Test
    void nothingGivenMeansNulls() {
        ParsedOptions p = SbatchOptions.parse(List.of());
        assertThat(p.jobName()).isNull();
        assertThat(p.hold()).isFalse();
        assertThat(p.requeue()).isNull();
        assertThat(p.exclusiveRequested()).isFalse();
        assertThat(p.values()).isEmpty();
    }

    @Test
    void aStrayWordInTheOptionsIsAnError() {
        assertThatThrownBy(() -> SbatchOptions.parse(List.of("-n", "1", "oops")))
                .isInstanceOf(SbatchOptionException.class)
                .hasMessage("Invalid directive found in batch script: oops");
    }

    @Test
    void readsTheSeedsHelloWorldDirectives() {
        String script = """
                #!/bin/bash
                #SBATCH --job-name=hello_world      # 작업 이름
                #SBATCH --output=hello_world.out    # 표준 출력 파일 이름
                #SBATCH --error=hello_world.err     # 표준 에러 파일 이름
                #SBATCH --time=00:05:00             # 작업 시간 제한 (HH:MM:SS)
                #SBATCH --partition=cpu             # 파티션 이름
                #SBATCH --ntasks=1                  # 총 실행할 작업 수
                #SBATCH --cpus-per-task=1           # 작업당 CPU 코어 수
                #SBATCH --mem=1G                    # 작업당 메모리 요구량

                # 실행할 명령어
                echo "Running in cpu partition"
                """;
        assertThat(SbatchOptions.directives(script)).containsExactly(
                "--job-name=hello_world", "--output=hello_world.out", "--error=hello_world.err",
                "--time=00:05:00", "--partition=cpu", "--ntasks=1", "--cpus-per-task=1", "--mem=1G");
    }

    static Stream<Arguments> scripts() {
        return Stream.of(
                Arguments.of("#!/bin/sh\n#SBATCH -n 2\n", List.of("-n", "2")),
                Arguments.of("#!/bin/sh\n\n# a comment\n   \n#SBATCH -n 2\n", List.of("-n", "2")),
                Arguments.of("#!/bin/sh\n#SBATCH -n 2 -c 3\n", List.of("-n", "2", "-c", "3")),
                Arguments.of("#!/bin/sh\necho hi\n#SBATCH -n 2\n", List.of()),
                Arguments.of("#!/bin/sh\n#SBATCH -J a\nhostname\n#SBATCH -J b\n", List.of("-J", "a")),
                Arguments.of("#!/bin/sh\n#SBATCH --job-name=\"my job\" # note\n", List.of("--job-name=my job")),
                Arguments.of("#!/bin/sh\n#SBATCH --comment='a # b'\n", List.of("--comment=a # b")),
                Arguments.of("#!/bin/sh\n#SBATCH -J a\\ b\n", List.of("-J", "a b")),
                Arguments.of("#!/bin/sh\n#SBATCH\t-n 2\n", List.of("-n", "2")),
                Arguments.of("#!/bin/sh\n#SBATCHX -n 2\n#SBATCH -c 1\n", List.of("-c", "1")),
                Arguments.of("#!/bin/sh\n  #SBATCH -n 2\n", List.of()),
                Arguments.of("#!/bin/sh\n## #SBATCH -n 2\n", List.of()),
                Arguments.of("#!/bin/sh\r\n#SBATCH -n 2\r\n", List.of("-n", "2")),
                Arguments.of("", List.of()));
    }

    @ParameterizedTest
    @MethodSource("scripts")
    void readsDirectivesAsSlurmDoes(String script, List<String> expected) {
        assertThat(SbatchOptions.directives(script)).containsExactlyElementsOf(expected);
    }

    @Test
    void commandLineOverridesDirectives() {
        List<String> all = new java.util.ArrayList<>(SbatchOptions.directives("#!/bin/sh\n#SBATCH -n 2 -J a\n"));
        all.addAll(List.of("--ntasks=8"));
        ParsedOptions p = SbatchOptions.parse(all);
        assertThat(p.ntasks()).isEqualTo("8");
        assertThat(p.jobName()).isEqualTo("a");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            1     | ntasks        | 1
            16    | cpus-per-task | 16
            """)
    void acceptsPositiveCounts(String value, String option, int expected) {
        assertThat(SbatchOptions.positiveInt(value, option)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            0    | ntasks        | Invalid numeric value "0" for --ntasks.
            -1   | cpus-per-task | Invalid numeric value "-1" for --cpus-per-task.
            four | ntasks        | Invalid numeric value "four" for --ntasks.
            2x   | nodes         | Invalid numeric value "2x" for --nodes.
            """)
    void rejectsBadCounts(String value, String option, String message) {
        assertThatThrownBy(() -> SbatchOptions.positiveInt(value, option))
                .isInstanceOf(SbatchOptionException.class).hasMessage(message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            1024  | 1024
            500M  | 500
            1G    | 1024
            1g    | 1024
            2T    | 2097152
            2048K | 2
            1K    | 1
            4GB   | 4096
            0     | 0
            """)
    void readsMemorySizes(String value, long mb) {
        assertThat(SbatchOptions.memoryMb(value, "mem")).isEqualTo(mb);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            lots  | mem         | Invalid --mem specification
            1.5G  | mem         | Invalid --mem specification
            -1    | mem         | Invalid --mem specification
            1P    | mem-per-cpu | Invalid --mem-per-cpu specification
            ''    | mem         | Invalid --mem specification
            """)
    void rejectsBadMemorySizes(String value, String option, String message) {
        assertThatThrownBy(() -> SbatchOptions.memoryMb(value, option))
                .isInstanceOf(SbatchOptionException.class).hasMessage(message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            1    | 1 |
            2-4  | 2 | 4
            """)
    void readsNodeCounts(String value, int min, Integer max) {
        assertThat(SbatchOptions.nodeCount(value)).isEqualTo(new SbatchOptions.NodeCount(min, max));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            0    | Invalid numeric value "0" for --nodes.
            4-2  | Invalid node count specification: 4-2
            many | Invalid node count specification: many
            """)
    void rejectsBadNodeCounts(String value, String message) {
        assertThatThrownBy(() -> SbatchOptions.nodeCount(value))
                .isInstanceOf(SbatchOptionException.class).hasMessage(message);
    }

    @Test
    void looksUpOptionsForTheCli() {
        assertThat(SbatchOptions.lookup("-J")).get().extracting(SbatchOptions.Option::longName).isEqualTo("job-name");
        assertThat(SbatchOptions.lookup("--cpus-per-task=4")).get()
                .extracting(SbatchOptions.Option::shortName).isEqualTo('c');
        assertThat(SbatchOptions.lookup("--bogus")).isEmpty();
    }
}
