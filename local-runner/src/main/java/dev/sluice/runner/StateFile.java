package dev.sluice.runner;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/** Reads what the supervisor recorded: its own pid, and each component's pid, port, kind and log. */
public record StateFile(Optional<Long> supervisorPid, List<Entry> components) {
    public record Entry(String name, long pid, int port, Component.Kind kind, Path log) {
    }

    public static StateFile read(Layout layout) {
        Optional<Long> sup = Optional.empty();
        try {
            if (Files.exists(layout.supervisorPid())) {
                sup = Optional.of(Long.parseLong(Files.readString(layout.supervisorPid()).trim()));
            }
        } catch (IOException | NumberFormatException e) {
            // Treated as not running.
        }
        List<Entry> entries = new ArrayList<>();
        if (Files.exists(layout.state())) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(layout.state())) {
                p.load(r);
                for (String name : p.getProperty("components", "").split(",")) {
                    if (name.isBlank()) {
                        continue;
                    }
                    entries.add(new Entry(name, Long.parseLong(p.getProperty(name + ".pid", "-1")),
                            Integer.parseInt(p.getProperty(name + ".port", "0")),
                            Component.Kind.valueOf(p.getProperty(name + ".kind", "SERVICE")),
                            Path.of(p.getProperty(name + ".log", ""))));
                }
            } catch (IOException | RuntimeException e) {
                // A half-written file: show what was read.
            }
        }
        return new StateFile(sup, entries);
    }

    /**
     * The live process behind a recorded pid, only if its command line names our data folder, so that a pid
     * reused by an unrelated process is never signalled.
     */
    public static Optional<ProcessHandle> ours(long pid, Path data) {
        if (pid <= 0) {
            return Optional.empty();
        }
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(h -> {
            String cmd;
            try {
                // /proc has the whole command line; ProcessHandle.Info cuts long ones (the broker's classpath).
                cmd = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
                        java.nio.charset.StandardCharsets.UTF_8).replace('\0', ' ');
            } catch (IOException e) {
                cmd = h.info().commandLine().orElse("");
            }
            return cmd.contains(data.toString());
        });
    }
}
