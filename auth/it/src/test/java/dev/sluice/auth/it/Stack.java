package dev.sluice.auth.it;

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

/** A whole Sluice started by {@code ./sluice up} with extra environment, and bin/ commands run against it. */
final class Stack implements AutoCloseable {
    record Result(int exitCode, String out, String err) {
    }

    static final Path REPO = Path.of("").toAbsolutePath().getParent().getParent();

    private final Path home;
    private final Map<String, String> env;

    private Stack(Path home, Map<String, String> env) {
        this.home = home;
        this.env = env;
    }

    static Stack up(Path home, Map<String, String> env) {
        Stack s = new Stack(home, env);
        Result r = s.run(REPO, 600, Map.of(), null, List.of("./sluice", "up", "--free-ports", "--data", home.toString()));
        if (r.exitCode() != 0) {
            String logs = s.tailLogs();
            s.close();
            throw new IllegalStateException("./sluice up failed (" + r.exitCode() + "):\n" + r.out() + r.err() + logs);
        }
        return s;
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

    /** Runs {@code bin/<command> args...} with the extra environment given (SLUICE_TOKEN, HOME) and stdin. */
    Result cli(Map<String, String> extraEnv, String stdin, String command, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(REPO.resolve("bin").resolve(command).toString());
        cmd.addAll(List.of(args));
        return run(home, 120, extraEnv, stdin, cmd);
    }

    private Result run(Path workDir, int timeoutSeconds, Map<String, String> extraEnv, String stdin, List<String> cmd) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
            pb.environment().putAll(env);
            pb.environment().put("SLUICE_HOME", home.toString());
            pb.environment().remove("SLUICE_TOKEN");
            pb.environment().putAll(extraEnv);
            Path in = Files.createTempFile("sluice-auth-it", ".in");
            Files.writeString(in, stdin == null ? "" : stdin);
            Path out = Files.createTempFile("sluice-auth-it", ".out");
            Path err = Files.createTempFile("sluice-auth-it", ".err");
            pb.redirectInput(in.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new IllegalStateException("timed out after " + timeoutSeconds + " s: " + cmd);
            }
            Result r = new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
            Files.deleteIfExists(in);
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
                sb.append("\n==== ").append(f.getFileName()).append(" (last 30 lines)\n");
                lines.subList(Math.max(0, lines.size() - 30), lines.size()).forEach(l -> sb.append(l).append('\n'));
            }
        } catch (IOException e) {
            sb.append("cannot read logs: ").append(e);
        }
        return sb.toString();
    }

    @Override
    public void close() {
        run(REPO, 120, Map.of(), null, List.of("./sluice", "down", "--data", home.toString()));
    }
}
