package dev.sluice.nodeagent.cgroup;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** One job's cgroup, in one (v2) or several (v1) hierarchies. */
public interface JobCgroup {

    /** CPU time the cgroup's processes used, in ms, as the kernel accounted it. */
    record CpuTime(long userMs, long systemMs) {
    }

    /** The {@code cgroup.procs} files the task joins (sluice-stepd --cgroup-procs). */
    List<Path> procsFiles();

    /** How many processes the kernel's OOM killer ended in this cgroup because of its memory limit. */
    long oomKills();

    Optional<CpuTime> cpuTime();

    /** Pids now in the cgroup. */
    Set<Long> pids();

    /**
     * Pids in the job's step cgroups ({@code step_<n>}): the srun tasks, which a {@code --signal} without
     * {@code B:} reaches, as Slurm signals every step but not the batch shell.
     */
    default Set<Long> stepPids() {
        List<Path> files = new ArrayList<>();
        for (Path d : dirs()) {
            children(d).forEach(c -> files.add(c.resolve("cgroup.procs")));
        }
        return pidsIn(files);
    }

    /** SIGKILL to every process in the cgroup, also those that left the job's process tree or session. */
    default void killAll() {
        for (int round = 0; round < 10; round++) {
            Set<Long> pids = pids();
            if (pids.isEmpty()) {
                return;
            }
            pids.forEach(p -> ProcessHandle.of(p).ifPresent(ProcessHandle::destroyForcibly));
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Removes the cgroup; false while processes are still in it (the caller retries later). */
    boolean remove();

    /**
     * A cgroup below this one for a job step ({@code step_<id>}): the job's limits cap it, its processes are
     * counted in the job's pids, killed with the job and removed with it. {@link #NONE} without cgroups.
     */
    default JobCgroup child(String name) throws IOException {
        return NONE;
    }

    /** The cgroup directories (one per v1 hierarchy, one on v2); empty without cgroups. */
    default List<Path> dirs() {
        return List.of();
    }

    JobCgroup NONE = new JobCgroup() {
        @Override
        public List<Path> procsFiles() {
            return List.of();
        }

        @Override
        public long oomKills() {
            return 0;
        }

        @Override
        public Optional<CpuTime> cpuTime() {
            return Optional.empty();
        }

        @Override
        public Set<Long> pids() {
            return Set.of();
        }

        @Override
        public boolean remove() {
            return true;
        }
    };

    // ------------------------------------------------------------------ helpers shared by v1 and v2

    static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file).trim());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** A value from a flat-keyed file such as memory.events or cpuacct.stat ("key value" lines). */
    static Optional<Long> keyed(Path file, String key) {
        return read(file).flatMap(text -> text.lines()
                .map(l -> l.trim().split("\\s+"))
                .filter(f -> f.length == 2 && f[0].equals(key))
                .map(f -> Long.parseLong(f[1]))
                .findFirst());
    }

    /**
     * Pids in these cgroups and in their step cgroups: v1 and v2 both list in {@code cgroup.procs} only a
     * cgroup's own processes, never its children's.
     */
    static Set<Long> pidsBelow(List<Path> dirs) {
        List<Path> files = new ArrayList<>();
        for (Path d : dirs) {
            files.add(d.resolve("cgroup.procs"));
            children(d).forEach(c -> files.add(c.resolve("cgroup.procs")));
        }
        return pidsIn(files);
    }

    /** Step cgroups below a job's cgroup directory. */
    static List<Path> children(Path dir) {
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("step_") && Files.isDirectory(p)).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** rmdir of the step cgroups below these directories, then of the directories themselves. */
    static boolean rmdirTree(List<Path> dirs) {
        List<Path> all = new ArrayList<>(dirs);
        for (Path d : dirs) {
            all.addAll(children(d));
        }
        // rmdirAll removes from the end: children first
        return rmdirAll(all);
    }

    /** A step's cgroup: plain directories below the job's, limited by it. */
    record Step(List<Path> dirs) implements JobCgroup {
        @Override
        public List<Path> procsFiles() {
            return dirs.stream().map(d -> d.resolve("cgroup.procs")).toList();
        }

        @Override
        public long oomKills() {
            return 0;
        }

        @Override
        public Optional<CpuTime> cpuTime() {
            return Optional.empty();
        }

        @Override
        public Set<Long> pids() {
            return pidsIn(procsFiles());
        }

        @Override
        public boolean remove() {
            return rmdirAll(dirs);
        }
    }

    static Set<Long> pidsIn(List<Path> procsFiles) {
        Set<Long> pids = new LinkedHashSet<>();
        for (Path f : procsFiles) {
            read(f).ifPresent(text -> text.lines().map(String::trim).filter(l -> !l.isEmpty())
                    .forEach(l -> pids.add(Long.parseLong(l))));
        }
        return pids;
    }

    /** rmdir of each directory, deepest first; a missing one counts as removed. */
    static boolean rmdirAll(List<Path> dirs) {
        boolean all = true;
        for (Path d : new ArrayList<>(dirs).reversed()) {
            try {
                Files.deleteIfExists(d);
            } catch (NoSuchFileException e) {
                // gone already
            } catch (DirectoryNotEmptyException e) {
                all = false;
            } catch (IOException e) {
                // EBUSY: a process is still leaving the cgroup
                all = false;
            }
        }
        return all;
    }

    /** Writes a control file; cgroupfs files exist already, so this never creates one on a real hierarchy. */
    static void write(Path file, String value) throws IOException {
        try {
            Files.writeString(file, value);
        } catch (IOException e) {
            throw new IOException("cannot write '" + value + "' to " + file + ": " + e.getMessage(), e);
        }
    }
}
