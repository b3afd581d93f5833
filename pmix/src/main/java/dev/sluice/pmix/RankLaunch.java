package dev.sluice.pmix;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How the helper starts each local rank when the node agent decides it ({@code --rank-launch FILE}): the rank's
 * whole command line (normally {@code sluice-stepd --uid U --gid G --cpus C --cgroup-procs F ... -- program args})
 * and its base environment, to which the helper adds libpmix's and srun's variables.
 *
 * <p>This is what lets a helper that was started before its step's user was known (a warm spare, as root) serve
 * the step: the helper never runs user code itself, every rank is exec'ed through the agent's launcher as the job's
 * user, in the step's cgroup, on the rank's own CPUs. The file is written by the agent into a directory only it can
 * write; tokens are NUL-separated, so any byte but NUL may appear in an argument or a variable.
 *
 * <p>Format: per rank {@code rank R env N K=V... argv M a0 a1...}, each word followed by NUL.
 */
public final class RankLaunch {

    /** One rank's command line and base environment. */
    public record Entry(List<String> argv, Map<String, String> env) {
        public Entry {
            argv = List.copyOf(argv);
            env = Map.copyOf(env);
            if (argv.isEmpty()) {
                throw new IllegalArgumentException("empty command line");
            }
        }
    }

    private RankLaunch() {
    }

    public static void write(Path file, Map<Integer, Entry> ranks) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<Integer, Entry> r : new TreeMap<>(ranks).entrySet()) {
            word(sb, "rank");
            word(sb, r.getKey().toString());
            word(sb, "env");
            word(sb, Integer.toString(r.getValue().env().size()));
            r.getValue().env().forEach((k, v) -> word(sb, k + "=" + v));
            word(sb, "argv");
            word(sb, Integer.toString(r.getValue().argv().size()));
            r.getValue().argv().forEach(a -> word(sb, a));
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        // it carries the step's environment (the job token among it): readable by the writer only
        Files.createFile(tmp, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, sb, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void word(StringBuilder sb, String w) {
        if (w.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a NUL byte cannot be passed to a rank: " + w.replace('\0', '@'));
        }
        sb.append(w).append('\0');
    }

    public static Map<Integer, Entry> read(Path file) throws IOException {
        String[] w = Files.readString(file, StandardCharsets.UTF_8).split("\0", -1);
        Map<Integer, Entry> out = new LinkedHashMap<>();
        int i = 0;
        try {
            while (i < w.length - 1) {
                expect(w[i++], "rank");
                int rank = Integer.parseInt(w[i++]);
                expect(w[i++], "env");
                int n = Integer.parseInt(w[i++]);
                Map<String, String> env = new LinkedHashMap<>();
                for (int k = 0; k < n; k++) {
                    String kv = w[i++];
                    int eq = kv.indexOf('=');
                    env.put(eq < 0 ? kv : kv.substring(0, eq), eq < 0 ? "" : kv.substring(eq + 1));
                }
                expect(w[i++], "argv");
                int m = Integer.parseInt(w[i++]);
                List<String> argv = new ArrayList<>(List.of(w).subList(i, i + m));
                i += m;
                out.put(rank, new Entry(argv, env));
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("bad rank launch file " + file + ": " + e.getMessage());
        }
        return out;
    }

    private static void expect(String got, String want) {
        if (!got.equals(want)) {
            throw new IllegalArgumentException("expected '" + want + "', found '" + got + "'");
        }
    }
}
