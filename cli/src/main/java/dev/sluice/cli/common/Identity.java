package dev.sluice.cli.common;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Who runs the command: the name and the numeric ids the services record as the job's owner. */
public record Identity(String user, long uid, long gid) {

    public boolean isRoot() {
        return uid == 0;
    }

    /** Reads the real uid/gid from /proc (no JNI needed); the name is the JVM's view of the same account. */
    public static Identity current() {
        long uid = -1;
        long gid = -1;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    uid = Long.parseLong(line.substring(4).trim().split("\\s+")[0]);
                } else if (line.startsWith("Gid:")) {
                    gid = Long.parseLong(line.substring(4).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux: the services still get the name, and reject the ids if they need them.
        }
        return new Identity(System.getProperty("user.name"), uid, gid);
    }
}
