package dev.sluice.pmix;

import dev.sluice.pmi.StepLayout;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Real Open MPI ranks wired by real PMIx helper processes (several "nodes" on this host). */
class OpenMpiStepTest {

    @TempDir
    static Path dir;
    static Path ring;

    @BeforeAll
    static void compile() throws Exception {
        ring = OpenMpi.compileRing(dir);
    }

    @Test
    void twoRanksOnOneNode() throws Exception {
        List<OpenMpi.Outcome> out = OpenMpi.start(dir, "101", StepLayout.block("x", 2), List.of(ring.toString())).await(120);
        OpenMpi.Outcome node0 = out.getFirst();
        assertThat(node0.exit()).as(node0.stderr()).isZero();
        assertThat(node0.stdout())
                .contains("rank 0 of 2 on ", "node node00: ring got 1 from 1, allreduce sum 1")
                .contains("rank 1 of 2 on ", "node node00: ring got 0 from 0, allreduce sum 1");
        assertThat(node0.status()).containsExactly("task=0 exit_code=0 signal=0", "task=1 exit_code=0 signal=0");
    }

    @Test
    void fourRanksAcrossTwoNodesNeedTheCrossNodeFence() throws Exception {
        List<OpenMpi.Outcome> out = OpenMpi.start(dir, "102", StepLayout.block("x", 2, 2), List.of(ring.toString())).await(120);
        assertThat(out).allSatisfy(o -> assertThat(o.exit()).as(o.stderr()).isZero());
        assertThat(out.get(0).stdout())
                .contains("rank 0 of 4 on ", "node node00: ring got 3 from 3, allreduce sum 6")
                .contains("rank 1 of 4 on ", "node node00: ring got 0 from 0, allreduce sum 6");
        assertThat(out.get(1).stdout())
                .contains("rank 2 of 4 on ", "node node01: ring got 1 from 1, allreduce sum 6")
                .contains("rank 3 of 4 on ", "node node01: ring got 2 from 2, allreduce sum 6");
        assertThat(out.get(1).status()).containsExactly("task=2 exit_code=0 signal=0", "task=3 exit_code=0 signal=0");
    }

    @Test
    void prestartedHelpersServeAStepHandedToThemOnStdin() throws Exception {
        List<OpenMpi.Outcome> out = OpenMpi.start(dir, "105", StepLayout.block("x", 2, 2), List.of(ring.toString()), true)
                .await(120);
        assertThat(out).allSatisfy(o -> assertThat(o.exit()).as(o.stderr()).isZero());
        assertThat(out.get(0).stdout()).contains("rank 0 of 4 on ", "node node00: ring got 3 from 3, allreduce sum 6");
        assertThat(out.get(1).stdout()).contains("rank 3 of 4 on ", "node node01: ring got 2 from 2, allreduce sum 6");
    }

    @Test
    void eightRanksAcrossFourNodesCyclic() throws Exception {
        List<OpenMpi.Outcome> out = OpenMpi.start(dir, "103", StepLayout.cyclic("x", 4, 8), List.of(ring.toString())).await(180);
        assertThat(out).allSatisfy(o -> assertThat(o.exit()).as(o.stderr()).isZero());
        for (int rank = 0; rank < 8; rank++) {
            int node = rank % 4;
            assertThat(out.get(node).stdout()).contains("rank " + rank + " of 8 on ")
                    .contains("node node0" + node + ": ring got " + ((rank + 7) % 8) + " from " + ((rank + 7) % 8)
                            + ", allreduce sum 28");
        }
    }

    @Test
    void mpiAbortInRankOneEndsTheWholeStepNamingRankOne() throws Exception {
        // Every other rank waits in MPI_Barrier forever: only the helpers' kill can end them.
        List<OpenMpi.Outcome> out = OpenMpi.start(dir, "104", StepLayout.block("x", 2, 2),
                List.of(ring.toString(), "abort")).await(60);
        assertThat(out.get(0).exit()).isEqualTo(7);
        assertThat(out.get(0).stderr()).contains("sluice-pmix: error: node00: task 1 called MPI_Abort with exit code 7");
        assertThat(out.get(0).status()).contains("task=1 exit_code=7 signal=0", "task=0 exit_code=0 signal=9");
        assertThat(out.get(1).exit()).isEqualTo(7);
        assertThat(out.get(1).stderr())
                .contains("sluice-pmix: error: node01: step aborted: task 1 on node00 called MPI_Abort with exit code 7");
        assertThat(out.get(1).status()).contains("task=2 exit_code=0 signal=9", "task=3 exit_code=0 signal=9");
    }

    @Test
    void ranksOfAnOrdinaryUserThroughAHelperRunningAsThatUser() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name"))
                        && java.nio.file.Files.isExecutable(Path.of("/usr/sbin/runuser")),
                "needs root and runuser to become the user 'nobody'");
        // nobody cannot read root's Maven repository or a JUnit temp dir: give it copies of what the helper needs.
        Path home = java.nio.file.Files.createTempDirectory(Path.of("/tmp"), "sluice-pmix-nobody");
        try {
            List<String> cp = new java.util.ArrayList<>();
            for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                Path src = Path.of(entry);
                if (entry.contains("sluice-pmi") || entry.endsWith("pmix/target/classes") || entry.endsWith("pmi/target/classes")) {
                    Path dst = home.resolve("cp" + cp.size());
                    try (var walk = java.nio.file.Files.walk(src)) {
                        for (Path f : walk.toList()) {
                            java.nio.file.Files.copy(f, dst.resolve(src.relativize(f).toString()));
                        }
                    }
                    cp.add(dst.toString());
                }
            }
            Path exe = home.resolve("ring");
            java.nio.file.Files.copy(ring, exe);
            new ProcessBuilder("chown", "-R", "nobody:nogroup", home.toString()).inheritIO().start().waitFor();
            new ProcessBuilder("chmod", "755", home.toString()).inheritIO().start().waitFor();
            HelperSpec spec = new HelperSpec("106", 0, List.of("node00"), StepLayout.block("x", 2), 0,
                    new java.net.InetSocketAddress("127.0.0.1", 0), 65534, 65534, home.resolve("work"), null,
                    home.resolve("status"), List.of(exe.toString()));
            List<String> cmd = new java.util.ArrayList<>(List.of("/usr/sbin/runuser", "-u", "nobody", "--",
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
                    "-XX:TieredStopAtLevel=1", "-cp", String.join(":", cp), PmixStepHelper.class.getName()));
            cmd.addAll(spec.toArgs());
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            var out = OpenMpi.readAll(p.getInputStream());
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            String text = out.get(10, TimeUnit.SECONDS);
            assertThat(p.exitValue()).as(text).isZero();
            assertThat(text).contains("rank 0 of 2 on ", "rank 1 of 2 on ", "allreduce sum 1");
            assertThat(java.nio.file.Files.readAllLines(home.resolve("status")))
                    .containsExactly("task=0 exit_code=0 signal=0", "task=1 exit_code=0 signal=0");
            assertThat(java.nio.file.Files.getOwner(home.resolve("status")).getName()).isEqualTo("nobody");
        } finally {
            new ProcessBuilder("rm", "-rf", home.toString()).inheritIO().start().waitFor();
        }
    }

    /**
     * What the node agent does with a warm spare: the helper runs as root, prestarted before the step's user is
     * known; each rank is exec'ed as the user on its own CPU through a launcher named in the rank launch file
     * (setpriv and taskset here, sluice-stepd in the agent), and the server's directory becomes the user's.
     */
    @Test
    void aRootSpareHelperStartsEachRankAsTheUserOnItsOwnCpu() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name"))
                        && java.nio.file.Files.isExecutable(Path.of("/usr/bin/setpriv"))
                        && java.nio.file.Files.isExecutable(Path.of("/usr/bin/taskset")),
                "needs root, setpriv and taskset to start ranks as the user 'nobody'");
        List<Integer> cpus = onlineCpus();
        Path home = java.nio.file.Files.createTempDirectory(Path.of("/tmp"), "sluice-pmix-spare");
        try {
            Path exe = home.resolve("ring");
            java.nio.file.Files.copy(ring, exe);
            new ProcessBuilder("chmod", "755", home.toString(), exe.toString()).inheritIO().start().waitFor();
            Path spare = home.resolve("spare");
            java.nio.file.Files.createDirectory(spare);
            Path launch = spare.resolve("ranks");
            java.util.Map<Integer, RankLaunch.Entry> ranks = new java.util.HashMap<>();
            for (int rank = 0; rank < 2; rank++) {
                int cpu = cpus.get(rank % cpus.size());
                ranks.put(rank, new RankLaunch.Entry(List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                        "--clear-groups", "--", "/usr/bin/taskset", "-c", Integer.toString(cpu), "/bin/sh", "-c",
                        "echo \"task $SLURM_PROCID uid $(id -u) cpus $(grep Cpus_allowed_list /proc/self/status"
                                + " | cut -f2) from $FROM_STEP\"; exec \"$0\"", exe.toString()),
                        java.util.Map.of("PATH", "/usr/bin:/bin", "FROM_STEP", "yes")));
            }
            RankLaunch.write(launch, ranks);
            HelperSpec spec = new HelperSpec("107", 0, List.of("node00"), StepLayout.block("x", 2), 0,
                    new java.net.InetSocketAddress("127.0.0.1", 0), 65534, 65534, home.resolve("work"), null,
                    spare.resolve("status"), List.of(exe.toString())).withRankLaunch(launch);
            Process p = new ProcessBuilder(OpenMpi.prestartCommand("node00", spare)).start();
            var out = OpenMpi.readAll(p.getInputStream());
            java.io.BufferedReader err = new java.io.BufferedReader(
                    new java.io.InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
            assertThat(err.readLine()).isEqualTo("sluice-pmix: ready");
            var errs = OpenMpi.readAll(p.getErrorStream());
            p.getOutputStream().write(("--secret\ts\t" + String.join("\t", spec.toArgs()) + "\n")
                    .getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            String text = out.get(10, TimeUnit.SECONDS);
            assertThat(p.exitValue()).as(text + errs.get(10, TimeUnit.SECONDS)).isZero();
            for (int rank = 0; rank < 2; rank++) {
                assertThat(text).contains("task " + rank + " uid 65534 cpus " + cpus.get(rank % cpus.size())
                        + " from yes");
            }
            assertThat(text).contains("rank 0 of 2 on ", "rank 1 of 2 on ", "allreduce sum 1");
            assertThat(java.nio.file.Files.readAllLines(spare.resolve("status")))
                    .containsExactly("task=0 exit_code=0 signal=0", "task=1 exit_code=0 signal=0");
            assertThat(java.nio.file.Files.getOwner(spare.resolve("pmix")).getName()).isEqualTo("nobody");
            // what the root helper created for the ranks is theirs (Open MPI removes its TMPDIR at the end)
            assertThat(java.nio.file.Files.getOwner(home.resolve("work").resolve("shm")).getName()).isEqualTo("nobody");
        } finally {
            new ProcessBuilder("rm", "-rf", home.toString()).inheritIO().start().waitFor();
        }
    }

    static List<Integer> onlineCpus() throws Exception {
        String list = java.nio.file.Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("Cpus_allowed_list:")).findFirst().orElseThrow().split(":")[1].trim();
        List<Integer> out = new java.util.ArrayList<>();
        for (String part : list.split(",")) {
            String[] r = part.split("-");
            for (int c = Integer.parseInt(r[0]); c <= Integer.parseInt(r[r.length - 1]); c++) {
                out.add(c);
            }
        }
        return out;
    }

    @Test
    void withoutAnyLaunchEnvironmentOpenMpiRunsASingleton() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(ring.toString()).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/bin:/bin");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        assertThat(out).contains("rank 0 of 1 on ", "ring got 0 from 0, allreduce sum 0");
    }

    @Test
    void slurmVariablesWithoutAPmixServerFailFastInsteadOfHanging() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(ring.toString()).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(java.util.Map.of("PATH", "/usr/bin:/bin", "SLURM_JOBID", "1", "SLURM_NODELIST", "node00",
                "SLURM_STEP_ID", "0"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isNotZero();
        assertThat(out).contains("OMPI was not built with SLURM's PMI support", "MPI_Init");
    }
}
