package dev.sluice.nodeagent.step;

import dev.sluice.pmi.StepLayout;
import dev.sluice.pmix.HelperSpec;
import dev.sluice.pmix.PmixAbi;
import dev.sluice.pmix.PmixStepHelper;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code --mpi=pmix} on one node: the pmix module's {@link PmixStepHelper} started as its own JVM (through
 * sluice-stepd, as the job's user, inside the step's cgroup), which runs the node's ranks; its status file and its
 * {@code sluice-pmix: error:} lines mapped back to the step's tasks.
 *
 * <p>The helper runs as the job's user, not as root with {@code --uid/--gid}: it hosts native code (libpmix) that
 * talks to sockets the user's ranks control and starts the ranks itself with a plain fork, so as root a fault or a
 * hostile rank would have root's rights, and the ranks would run as root. As the user it can do no more than the
 * user, and its ranks inherit its user, cgroup and CPU set from sluice-stepd.
 */
public final class PmixLaunch {
    static final String MAIN = PmixStepHelper.class.getName();
    private static final Pattern ERROR = Pattern.compile("^sluice-pmix: error: ([^:]+): (?:step aborted: )?(.*)$");
    private static final Pattern TASK = Pattern.compile("^task (\\d+) (?!on )(.*)$");
    private static final Pattern STATUS = Pattern.compile("task=(\\d+) exit_code=(-?\\d+) signal=(\\d+)");

    private PmixLaunch() {
    }

    /** Empty when pmix can run here; else why not (libpmix missing, ABI not probed or different). */
    public static Optional<String> unavailable() {
        if (Stream.of("/usr/lib/x86_64-linux-gnu/libpmix.so.2", "/usr/lib/aarch64-linux-gnu/libpmix.so.2",
                "/usr/lib64/libpmix.so.2", "/usr/lib/libpmix.so.2").noneMatch(p -> Files.exists(Path.of(p)))) {
            return Optional.of("libpmix.so.2 not found: install the Debian package libpmix2");
        }
        try {
            PmixAbi.verify();
        } catch (RuntimeException e) {
            return Optional.of(e.getMessage());
        }
        return codeSources().isEmpty() ? Optional.of("the sluice-pmix helper's classes were not found")
                : Optional.empty();
    }

    static List<Path> codeSources() {
        List<Path> cp = new ArrayList<>();
        for (Class<?> c : List.of(PmixStepHelper.class, StepLayout.class)) {
            try {
                var src = c.getProtectionDomain().getCodeSource();
                if (src != null && src.getLocation() != null && src.getLocation().getProtocol().equals("file")) {
                    cp.add(Path.of(src.getLocation().toURI()));
                }
            } catch (URISyntaxException | RuntimeException e) {
                // a class loader that hides where it read the class from: look for the jars below
            }
        }
        return cp.size() == 2 ? cp : jarsNextToTheApplication();
    }

    /** A packaged agent (Quarkus fast-jar) keeps its dependencies in {@code lib/main} next to quarkus-run.jar. */
    private static List<Path> jarsNextToTheApplication() {
        List<Path> found = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path", "").split(":")) {
            Path p = Path.of(entry).toAbsolutePath();
            Path lib = p.getParent() == null ? null : p.getParent().resolve("lib/main");
            for (Path dir : lib == null ? List.of(p.getParent()) : List.of(p.getParent(), lib)) {
                if (dir == null || !Files.isDirectory(dir)) {
                    continue;
                }
                try (Stream<Path> files = Files.list(dir)) {
                    files.filter(f -> f.getFileName().toString().matches(".*sluice-pmix?-[0-9].*\\.jar"))
                            .filter(f -> !found.contains(f)).forEach(found::add);
                } catch (IOException e) {
                    // unreadable: not ours
                }
            }
        }
        return found.size() == 2 ? found : List.of();
    }

    /**
     * Copies the helper's classes into the step's directory: the agent's own jars may sit where the job's user
     * cannot read (root's home, a 0700 state directory), and the helper runs as that user.
     */
    static String stageClasspath(Path stepDir) throws IOException {
        Path dir = Files.createDirectories(stepDir.resolve("pmix-cp"));
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (Path src : codeSources()) {
            Path dst = dir.resolve(i++ + "-" + src.getFileName());
            if (Files.isDirectory(src)) {
                try (Stream<Path> all = Files.walk(src)) {
                    for (Path p : (Iterable<Path>) all::iterator) {
                        Path t = dst.resolve(src.relativize(p).toString());
                        if (Files.isDirectory(p)) {
                            Files.createDirectories(t);
                        } else {
                            Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
            } else {
                Files.copy(src, dst, StandardCopyOption.REPLACE_EXISTING);
            }
            entries.add(dst.toString());
        }
        return String.join(":", entries);
    }

    /** This agent's own uid or gid (an agent not running as root runs steps as itself). */
    static int selfId(String which) {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:" + which);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The helper's command line; the secret goes in its environment ({@link HelperSpec#SECRET_ENV}), never here. */
    static List<String> command(String classpath, HelperSpec spec) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx128m",
                "-cp", classpath, MAIN));
        cmd.addAll(spec.toArgs());
        return cmd;
    }

    static HelperSpec spec(PartSpec part, int uid, int gid, Path workDir, String bindHost) {
        return spec(part, uid, gid, workDir, workDir, bindHost);
    }

    /** @param filesDir where the helper writes its status and channel address files (a warm root helper: its own) */
    static HelperSpec spec(PartSpec part, int uid, int gid, Path workDir, Path filesDir, String bindHost) {
        StepLayout layout = new StepLayout("sluice." + part.jobId() + "." + part.stepId(), part.ranksByNode());
        InetSocketAddress channel;
        if (part.nodeIndex() == 0) {
            channel = new InetSocketAddress(bindHost, 0);
        } else {
            String[] hp = part.pmiLeader().split(":(?=[0-9]+$)");
            channel = InetSocketAddress.createUnresolved(hp[0], Integer.parseInt(hp[1]));
        }
        return new HelperSpec(Long.toString(part.jobId()), part.stepId(), part.stepNodes(), layout, part.nodeIndex(),
                channel, uid, gid, workDir, part.nodeIndex() == 0 ? filesDir.resolve("channel.address") : null,
                filesDir.resolve("status"), part.argv());
    }

    /**
     * The step's detail for one of the helper's error lines, naming the rank and its node as pmi2 does
     * ({@code task 1 on n1 called MPI_Abort with exit code 7}); null for any other line.
     */
    static String errorDetail(String line) {
        Matcher m = ERROR.matcher(line.strip());
        if (!m.matches()) {
            return null;
        }
        String node = m.group(1);
        String what = m.group(2);
        Matcher t = TASK.matcher(what);
        return t.matches() ? "task " + t.group(1) + " on " + node + " " + t.group(2) : node + ": " + what;
    }

    /** The helper's status file: rank -> {exit code, signal}. Empty when it wrote none (it was killed). */
    static Map<Integer, int[]> readStatus(Path file) {
        Map<Integer, int[]> out = new HashMap<>();
        try {
            for (String line : Files.readAllLines(file)) {
                Matcher m = STATUS.matcher(line);
                if (m.find()) {
                    out.put(Integer.parseInt(m.group(1)),
                            new int[]{Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))});
                }
            }
        } catch (IOException e) {
            return Map.of();
        }
        return out;
    }
}
