package dev.sluice.launcher;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Everything sluice-stepd needs to start one task: its options, the program and its arguments, and the exact
 * environment of the task (nothing is inherited from the caller).
 *
 * <p>Nullable components mean "option not given": {@code uid}, {@code gid}, {@code groups}, {@code workDir},
 * {@code cpus}, {@code stdin}, {@code stdout}, {@code stderr}, {@code openMode}, {@code umask}, {@code statusFile},
 * {@code pidFile}. Build one with {@link #builder(String...)}; see launcher/README.md for what each option does.
 */
public record StepLaunch(
        List<String> argv,
        Map<String, String> environment,
        Integer uid,
        Integer gid,
        List<Integer> groups,
        Path workDir,
        List<Path> cgroupProcs,
        String cpus,
        List<Rlimit> rlimits,
        Path stdin,
        Path stdout,
        Path stderr,
        OpenMode openMode,
        Integer umask,
        boolean setsid,
        Path statusFile,
        Path pidFile) {

    /** The launcher's cpu_set_t size (CPU_SETSIZE). */
    private static final int MAX_CPUS = 1024;
    private static final Pattern CPU_LIST = Pattern.compile("\\d+(-\\d+)?(,\\d+(-\\d+)?)*");

    public StepLaunch {
        argv = List.copyOf(argv);
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("a step needs a program to run");
        }
        environment = Map.copyOf(environment);
        groups = groups == null ? null : List.copyOf(groups);
        cgroupProcs = List.copyOf(cgroupProcs);
        rlimits = List.copyOf(rlimits);
        if (uid != null && gid == null) {
            // The launcher refuses this too: the task would keep the caller's (root's) group.
            throw new IllegalArgumentException("uid needs gid");
        }
        requireId("uid", uid);
        requireId("gid", gid);
        if (groups != null) {
            groups.forEach(g -> requireId("group", g));
        }
        if (cpus != null && !validCpuList(cpus)) {
            throw new IllegalArgumentException("bad cpu list '" + cpus + "' (expected e.g. 0-3,6)");
        }
        if (umask != null && (umask < 0 || umask > 0777)) {
            throw new IllegalArgumentException("umask out of range: " + Integer.toOctalString(umask));
        }
    }

    private static boolean validCpuList(String list) {
        if (!CPU_LIST.matcher(list).matches()) {
            return false;
        }
        for (String range : list.split(",")) {
            String[] ends = range.split("-");
            try {
                int lo = Integer.parseInt(ends[0]);
                int hi = Integer.parseInt(ends[ends.length - 1]);
                if (hi < lo || hi >= MAX_CPUS) {
                    return false;
                }
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return true;
    }

    private static void requireId(String what, Integer id) {
        if (id != null && id < 0) {
            throw new IllegalArgumentException(what + " must not be negative: " + id);
        }
    }

    public static Builder builder(String... argv) {
        return new Builder(List.of(argv));
    }

    public static Builder builder(List<String> argv) {
        return new Builder(argv);
    }

    /** The exact command line: {@code launcherBinary [options] -- argv...}. */
    public List<String> command(Path launcherBinary) {
        List<String> cmd = new ArrayList<>();
        cmd.add(launcherBinary.toString());
        if (uid != null) {
            cmd.add("--uid");
            cmd.add(uid.toString());
        }
        if (gid != null) {
            cmd.add("--gid");
            cmd.add(gid.toString());
        }
        if (groups != null) {
            cmd.add("--groups");
            cmd.add(groups.stream().map(String::valueOf).collect(Collectors.joining(",")));
        }
        for (Path procs : cgroupProcs) {
            cmd.add("--cgroup-procs");
            cmd.add(procs.toString());
        }
        if (cpus != null) {
            cmd.add("--cpus");
            cmd.add(cpus);
        }
        for (Rlimit rlimit : rlimits) {
            cmd.add("--rlimit");
            cmd.add(rlimit.toString());
        }
        if (umask != null) {
            cmd.add("--umask");
            cmd.add(String.format("%04o", umask));
        }
        addPath(cmd, "--stdin", stdin);
        addPath(cmd, "--stdout", stdout);
        addPath(cmd, "--stderr", stderr);
        if (openMode != null) {
            cmd.add("--open-mode");
            cmd.add(openMode.cliName());
        }
        if (setsid) {
            cmd.add("--setsid");
        }
        addPath(cmd, "--chdir", workDir);
        addPath(cmd, "--status-file", statusFile);
        addPath(cmd, "--pid-file", pidFile);
        cmd.add("--");
        cmd.addAll(argv);
        return List.copyOf(cmd);
    }

    private static void addPath(List<String> cmd, String option, Path value) {
        if (value != null) {
            cmd.add(option);
            cmd.add(value.toString());
        }
    }

    /** How the output files are opened (Slurm's --open-mode). */
    public enum OpenMode {
        TRUNCATE, APPEND;

        String cliName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The resource limits sluice-stepd can set; values are in setrlimit(2) units (bytes, seconds, counts). */
    public enum Resource {
        CORE, MEMLOCK, NOFILE, NPROC, STACK, AS, CPU, FSIZE;

        String cliName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        static Resource fromCliName(String name) {
            for (Resource r : values()) {
                if (r.cliName().equals(name)) {
                    return r;
                }
            }
            throw new IllegalArgumentException("unknown resource limit '" + name + "'");
        }
    }

    /**
     * One {@code --rlimit NAME=SOFT[:HARD]}. {@link #UNLIMITED} stands for "unlimited". Without a hard limit the
     * launcher keeps the current hard limit, raising it only when the soft limit would exceed it.
     */
    public record Rlimit(Resource resource, long soft, OptionalLong hard) {
        public static final long UNLIMITED = -1;

        public Rlimit {
            Objects.requireNonNull(resource, "resource");
            Objects.requireNonNull(hard, "hard");
            requireValue(soft);
            hard.ifPresent(Rlimit::requireValue);
            if (hard.isPresent() && compare(soft, hard.getAsLong()) > 0) {
                throw new IllegalArgumentException("soft limit above hard limit for " + resource.cliName());
            }
        }

        public static Rlimit of(Resource resource, long soft) {
            return new Rlimit(resource, soft, OptionalLong.empty());
        }

        public static Rlimit of(Resource resource, long soft, long hard) {
            return new Rlimit(resource, soft, OptionalLong.of(hard));
        }

        /** Parses the launcher's own syntax, e.g. {@code memlock=unlimited} or {@code nofile=1024:4096}. */
        public static Rlimit parse(String spec) {
            int eq = spec.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("expected NAME=SOFT[:HARD], got '" + spec + "'");
            }
            Resource resource = Resource.fromCliName(spec.substring(0, eq));
            String value = spec.substring(eq + 1);
            int colon = value.indexOf(':');
            if (colon < 0) {
                return of(resource, parseValue(value));
            }
            return of(resource, parseValue(value.substring(0, colon)), parseValue(value.substring(colon + 1)));
        }

        private static long parseValue(String v) {
            if (v.equals("unlimited")) {
                return UNLIMITED;
            }
            try {
                long n = Long.parseLong(v);
                requireValue(n);
                return n;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad limit value '" + v + "'");
            }
        }

        private static void requireValue(long v) {
            if (v < UNLIMITED) {
                throw new IllegalArgumentException("limit must be >= 0 or UNLIMITED: " + v);
            }
        }

        private static int compare(long a, long b) {
            return Long.compareUnsigned(a, b); // UNLIMITED (-1) compares as the largest value, like RLIM_INFINITY
        }

        private static String render(long v) {
            return v == UNLIMITED ? "unlimited" : Long.toString(v);
        }

        @Override
        public String toString() {
            return resource.cliName() + "=" + render(soft) + (hard.isPresent() ? ":" + render(hard.getAsLong()) : "");
        }
    }

    public static final class Builder {
        private final List<String> argv;
        private Map<String, String> environment = Map.of();
        private Integer uid;
        private Integer gid;
        private List<Integer> groups;
        private Path workDir;
        private final List<Path> cgroupProcs = new ArrayList<>();
        private String cpus;
        private final List<Rlimit> rlimits = new ArrayList<>();
        private Path stdin;
        private Path stdout;
        private Path stderr;
        private OpenMode openMode;
        private Integer umask;
        private boolean setsid;
        private Path statusFile;
        private Path pidFile;

        private Builder(List<String> argv) {
            this.argv = List.copyOf(argv);
        }

        /** The task's whole environment: nothing else is passed on. */
        public Builder environment(Map<String, String> environment) {
            this.environment = environment;
            return this;
        }

        /** Run as this user: uid, primary gid and the complete list of supplementary groups. */
        public Builder user(int uid, int gid, Collection<Integer> groups) {
            this.uid = uid;
            this.gid = gid;
            this.groups = List.copyOf(groups);
            return this;
        }

        public Builder uid(int uid) {
            this.uid = uid;
            return this;
        }

        public Builder gid(int gid) {
            this.gid = gid;
            return this;
        }

        public Builder groups(Collection<Integer> groups) {
            this.groups = List.copyOf(groups);
            return this;
        }

        public Builder workDir(Path workDir) {
            this.workDir = workDir;
            return this;
        }

        /** A cgroup.procs (v1/v2) or tasks (v1) file the task joins; repeatable, one per hierarchy. */
        public Builder cgroupProcs(Path procsFile) {
            this.cgroupProcs.add(procsFile);
            return this;
        }

        /** CPU list syntax, e.g. {@code 0-3,6}. */
        public Builder cpus(String cpuList) {
            this.cpus = cpuList;
            return this;
        }

        public Builder cpus(Collection<Integer> cpuIds) {
            this.cpus = compress(new TreeSet<>(cpuIds));
            return this;
        }

        public Builder rlimit(Rlimit rlimit) {
            this.rlimits.add(rlimit);
            return this;
        }

        public Builder stdin(Path stdin) {
            this.stdin = stdin;
            return this;
        }

        public Builder stdout(Path stdout) {
            this.stdout = stdout;
            return this;
        }

        public Builder stderr(Path stderr) {
            this.stderr = stderr;
            return this;
        }

        public Builder openMode(OpenMode openMode) {
            this.openMode = openMode;
            return this;
        }

        /** The task's umask, e.g. {@code 0022}. */
        public Builder umask(int umask) {
            this.umask = umask;
            return this;
        }

        /**
         * Start a new session: in direct mode the task's; in status-file mode the supervising launcher's (the task
         * always gets a session of its own there), so that it outlives the caller's terminal or process group.
         */
        public Builder setsid(boolean setsid) {
            this.setsid = setsid;
            return this;
        }

        /** Keep the launcher as the supervising parent and write the task's end state here. */
        public Builder statusFile(Path statusFile) {
            this.statusFile = statusFile;
            return this;
        }

        public Builder pidFile(Path pidFile) {
            this.pidFile = pidFile;
            return this;
        }

        public StepLaunch build() {
            return new StepLaunch(argv, environment, uid, gid, groups, workDir, cgroupProcs, cpus, rlimits,
                    stdin, stdout, stderr, openMode, umask, setsid, statusFile, pidFile);
        }

        private static String compress(SortedSet<Integer> ids) {
            if (ids.isEmpty()) {
                throw new IllegalArgumentException("empty cpu set");
            }
            StringBuilder sb = new StringBuilder();
            Integer start = null;
            Integer prev = null;
            for (int id : ids) {
                if (id < 0) {
                    throw new IllegalArgumentException("negative cpu id " + id);
                }
                if (prev != null && id == prev + 1) {
                    prev = id;
                    continue;
                }
                appendRange(sb, start, prev);
                start = id;
                prev = id;
            }
            appendRange(sb, start, prev);
            return sb.toString();
        }

        private static void appendRange(StringBuilder sb, Integer start, Integer end) {
            if (start == null) {
                return;
            }
            if (!sb.isEmpty()) {
                sb.append(',');
            }
            sb.append(start);
            if (!end.equals(start)) {
                sb.append('-').append(end);
            }
        }
    }
}
