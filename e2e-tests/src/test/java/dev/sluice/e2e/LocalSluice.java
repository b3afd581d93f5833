package dev.sluice.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A whole Sluice brought up by the README's own command ({@code ./sluice up}) in a private data folder, and the
 * Slurm commands in {@code bin/} run against it exactly as a user types them.
 */
final class LocalSluice implements AutoCloseable {
    record Result(int exitCode, String stdout, String stderr) {
        String out() {
            return stdout;
        }
    }

    static final Path REPO = Path.of("").toAbsolutePath().getParent();

    private final Path home;

    private LocalSluice(Path home) {
        this.home = home;
    }

    static LocalSluice up(Path home, String... extraArgs) {
        LocalSluice s = new LocalSluice(home);
        List<String> cmd = new ArrayList<>(List.of("./sluice", "up", "--free-ports", "--data", home.toString()));
        cmd.addAll(List.of(extraArgs));
        Result r = s.run(REPO, 600, cmd);
        if (r.exitCode() != 0) {
            String logs = s.tailLogs();
            s.close();
            throw new IllegalStateException("./sluice up failed (" + r.exitCode() + "):\n" + r.stdout() + r.stderr() + logs);
        }
        return s;
    }

    Path home() {
        return home;
    }

    /** Runs {@code bin/<command> args...} in {@code workDir}. */
    Result cli(Path workDir, String command, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(REPO.resolve("bin").resolve(command).toString());
        cmd.addAll(List.of(args));
        return run(workDir, 120, cmd);
    }

    Result sluice(String... args) {
        List<String> cmd = new ArrayList<>(List.of("./sluice"));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--data", home.toString()));
        return run(REPO, 300, cmd);
    }

    /** The pid the supervisor recorded for a component (submit, scheduler, node01, ...). */
    long pidOf(String component) {
        Properties p = new Properties();
        try (var in = Files.newInputStream(home.resolve("run").resolve("state.properties"))) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Long.parseLong(p.getProperty(component + ".pid", "-1"));
    }

    Properties endpoints() {
        Properties p = new Properties();
        try (var in = Files.newInputStream(home.resolve("endpoints.properties"))) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    Result run(Path workDir, int timeoutSeconds, List<String> cmd) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
            Map<String, String> env = pb.environment();
            env.put("SLUICE_HOME", home.toString());
            Path out = Files.createTempFile("sluice-e2e", ".out");
            Path err = Files.createTempFile("sluice-e2e", ".err");
            pb.redirectOutput(out.toFile()).redirectError(err.toFile());
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new IllegalStateException("timed out after " + timeoutSeconds + " s: " + cmd);
            }
            Result r = new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    String tailLogs() {
        StringBuilder sb = new StringBuilder();
        Path logs = home.resolve("logs");
        if (!Files.isDirectory(logs)) {
            return "";
        }
        try (var files = Files.list(logs)) {
            for (Path f : files.sorted().toList()) {
                List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
                sb.append("\n==== ").append(f.getFileName()).append(" (last 40 lines)\n");
                lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(l -> sb.append(l).append('\n'));
            }
        } catch (IOException e) {
            sb.append("cannot read logs: ").append(e);
        }
        return sb.toString();
    }

    @Override
    public void close() {
        run(REPO, 120, List.of("./sluice", "down", "--data", home.toString()));
    }
}
