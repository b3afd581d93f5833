package dev.sluice.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LauncherBinaryTest {

    @TempDir
    Path cache;

    @Test
    void theBuildsBinaryIsFoundInTargetNative() {
        assertThat(LauncherBinary.fromBuild()).hasValueSatisfying(p -> {
            assertThat(p.toString()).endsWith("target/native/sluice-stepd");
            assertThat(p).isExecutable();
        });
    }

    @Test
    void theBundledBinaryIsExtractedWithMode0755AndRuns() throws Exception {
        Path binary = LauncherBinary.extract(cache);

        assertThat(binary.getFileName().toString()).isEqualTo("sluice-stepd");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(binary))).isEqualTo("rwxr-xr-x");
        assertThat(Files.mismatch(binary, LauncherBinary.fromBuild().orElseThrow())).isEqualTo(-1L);
        Process p = new ProcessBuilder(binary.toString(), "--", "sh", "-c", "exit 7").start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(7);
        // A second caller reuses the same file instead of writing another copy.
        assertThat(LauncherBinary.extract(cache)).isEqualTo(binary);
        try (var files = Files.list(binary.getParent())) {
            assertThat(files).containsExactly(binary);
        }
    }
}
