package dev.sluice.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 3: "AllowGroups rejects a user outside the groups with Slurm's message", through bin/sbatch run by real
 * non-root users ({@code runuser}) on {@code ./sluice up}: partition {@code lab} admits the group
 * {@code sluicelab} only. The test creates the group and two users (needs root) and removes them afterwards.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PartitionAccessEndToEndTest {
    static final String GROUP = "sluicelab";
    static final String INSIDE = "sluicein";
    static final String OUTSIDE = "sluiceout";
    static final Duration WAIT = Duration.ofSeconds(120);

    LocalSluice sluice;
    Path home;
    final List<String> created = new ArrayList<>();

    @BeforeAll
    void up() throws IOException {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "creates users and groups");
        if (run("getent", "group", GROUP) != 0) {
            assertThat(run("groupadd", GROUP)).isZero();
            created.add("group:" + GROUP);
        }
        for (String[] u : List.of(new String[] {INSIDE, GROUP}, new String[] {OUTSIDE, null})) {
            if (run("id", u[0]) != 0) {
                List<String> cmd = new ArrayList<>(List.of("useradd", "-M", "-s", "/bin/sh"));
                if (u[1] != null) {
                    cmd.addAll(List.of("-G", u[1]));
                }
                cmd.add(u[0]);
                assertThat(run(cmd.toArray(String[]::new))).isZero();
                created.addFirst("user:" + u[0]);
            }
        }
        home = Files.createTempDirectory("sluice-e2e-access");
        Files.writeString(home.resolve("sluice.conf"), """
                ClusterName=sluice
                PartitionName=cpu Nodes=ALL Default=YES MaxTime=INFINITE State=UP
                PartitionName=lab Nodes=ALL MaxTime=INFINITE State=UP AllowGroups=%s
                """.formatted(GROUP));
        sluice = LocalSluice.up(home, "--nodes", "1");
        // the users' bin/sbatch reads the stack's endpoints from the data folder
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(home.resolve("endpoints.properties"), PosixFilePermissions.fromString("rw-r--r--"));
    }

    @AfterAll
    void down() {
        if (sluice != null) {
            sluice.close();
        }
        for (String c : created) {
            String[] kv = c.split(":", 2);
            run(kv[0].equals("user") ? "userdel" : "groupdel", kv[1]);
        }
    }

    @Test
    void aUserOutsideAllowGroupsIsRefusedWithSlurmsMessageAndAMemberIsNot() {
        LocalSluice.Result refused = sbatchAs(OUTSIDE, "-p", "lab", "--wrap", "true");
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.stderr()).contains(
                "sbatch: error: Batch job submission failed: User's group not permitted to use this partition");
        assertThat(refused.stdout()).doesNotContain("Submitted batch job");

        LocalSluice.Result admitted = sbatchAs(INSIDE, "-p", "lab", "-o", "/dev/null", "--wrap", "true");
        assertThat(admitted.exitCode()).as(admitted.stdout() + admitted.stderr()).isZero();
        assertThat(admitted.stdout()).startsWith("Submitted batch job ");

        // the outsider may still use the partition without AllowGroups
        LocalSluice.Result elsewhere = sbatchAs(OUTSIDE, "-p", "cpu", "-o", "/dev/null", "--wrap", "true");
        assertThat(elsewhere.exitCode()).as(elsewhere.stdout() + elsewhere.stderr()).isZero();
    }

    private LocalSluice.Result sbatchAs(String user, String... args) {
        List<String> cmd = new ArrayList<>(List.of("runuser", "-u", user, "--",
                LocalSluice.REPO.resolve("bin").resolve("sbatch").toString()));
        cmd.addAll(List.of(args));
        return sluice.run(Path.of("/tmp"), 120, cmd);
    }

    private static int run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            return p.waitFor();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
