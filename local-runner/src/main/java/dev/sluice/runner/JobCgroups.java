package dev.sluice.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The job processes of one local stack, found in its cgroup folder ({@code sluice-<hash>}) in every hierarchy under
 * the cgroup root (v1: one per controller; v2: the root itself): {@code ./sluice down} kills them and removes the
 * folders, so a stopped stack leaves nothing running.
 */
final class JobCgroups {
    private JobCgroups() {
    }

    /** SIGKILLs every process in {@code root/<hierarchy>/parent/**}, removes those folders; returns how many died. */
    static int killAll(Path root, String parent) {
        List<Path> tops = new ArrayList<>();
        if (Files.isDirectory(root.resolve(parent))) {
            tops.add(root.resolve(parent));
        }
        try (Stream<Path> hierarchies = Files.list(root)) {
            hierarchies.map(h -> h.resolve(parent)).filter(Files::isDirectory).forEach(tops::add);
        } catch (IOException e) {
            return 0;
        }
        Set<Long> pids = new HashSet<>();
        for (Path top : tops) {
            for (Path procs : files(top, "cgroup.procs")) {
                try {
                    for (String line : Files.readAllLines(procs)) {
                        if (!line.isBlank()) {
                            pids.add(Long.parseLong(line.strip()));
                        }
                    }
                } catch (IOException | NumberFormatException e) {
                    // gone meanwhile
                }
            }
        }
        int killed = 0;
        for (long pid : pids) {
            var h = ProcessHandle.of(pid);
            if (h.isPresent() && h.get().destroyForcibly()) {
                killed++;
            }
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        for (Path top : tops) {
            // deepest first; a folder whose last process is still exiting refuses for a moment
            List<Path> dirs = dirs(top);
            for (Path d : dirs) {
                while (true) {
                    try {
                        Files.deleteIfExists(d);
                        break;
                    } catch (IOException e) {
                        if (System.nanoTime() > deadline) {
                            break;
                        }
                        sleep();
                    }
                }
            }
        }
        return killed;
    }

    private static List<Path> files(Path top, String name) {
        try (Stream<Path> s = Files.walk(top)) {
            return s.filter(p -> p.getFileName().toString().equals(name)).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static List<Path> dirs(Path top) {
        try (Stream<Path> s = Files.walk(top)) {
            return s.filter(Files::isDirectory).sorted(Comparator.comparingInt(Path::getNameCount).reversed()).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
