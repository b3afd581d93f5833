package dev.sluice.nodeagent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;

final class TestFiles {
    private TestFiles() {
    }

    static void deleteQuietly(Path root) {
        if (root == null) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temp folder is harmless
        }
    }

    /** Polls until {@code value} yields something, failing with {@code what} after {@code limit}. */
    static <T> T await(String what, Duration limit, Supplier<Optional<T>> value) {
        long end = System.nanoTime() + limit.toNanos();
        while (true) {
            Optional<T> v = value.get();
            if (v.isPresent()) {
                return v.get();
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("Timed out waiting for " + what);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** Command lines of every process on the host that mentions {@code marker}. */
    static List<String> processesMentioning(String marker) {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
                    .map(p -> {
                        try {
                            return new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ');
                        } catch (IOException e) {
                            return "";
                        }
                    })
                    .filter(c -> c.contains(marker))
                    .toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new AssertionError("Cannot read " + p + ": " + e);
        }
    }

    /** The hard "max locked memory" limit of this JVM (what jobs inherit) in KiB, -1 when unlimited. */
    static long hardMemlockKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max locked memory")) {
                String hard = line.substring(26).trim().split("\\s+")[1];
                return hard.equals("unlimited") ? -1 : Long.parseLong(hard) / 1024;
            }
        }
        return -1;
    }
}
