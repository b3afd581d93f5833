package dev.sluice.simulator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Standard Workload Format: one job a line, 18 fields, ';' comments. */
public final class Swf {
    /**
     * @param submit   seconds from the trace's start
     * @param runtime  seconds the job actually ran
     * @param procs    processors (requested, else allocated)
     * @param estimate the user's runtime estimate in seconds, -1 when the trace has none
     */
    public record TraceJob(long id, long submit, long runtime, int procs, long estimate) {
    }

    private Swf() {
    }

    public static List<TraceJob> read(Path file) throws IOException {
        List<TraceJob> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            String t = line.strip();
            if (t.isEmpty() || t.startsWith(";")) {
                continue;
            }
            String[] f = t.split("\\s+");
            if (f.length < 9) {
                continue;
            }
            long id = Long.parseLong(f[0]);
            long submit = Long.parseLong(f[1]);
            long runtime = Long.parseLong(f[3]);
            int allocated = Integer.parseInt(f[4]);
            int requested = Integer.parseInt(f[7]);
            long estimate = Long.parseLong(f[8]);
            int procs = requested > 0 ? requested : allocated;
            if (runtime < 0 || procs <= 0) {
                continue;
            }
            out.add(new TraceJob(id, submit, runtime, procs, estimate));
        }
        return out;
    }
}
