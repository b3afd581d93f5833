package dev.sluice.submit.submission;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A user's Unix groups for a partition's {@code AllowGroups}, as slurmctld resolves them on the controller: the group
 * of the user's primary gid and every group that lists the user as a member, read from the group database
 * ({@code /etc/group}; sites that keep groups in LDAP sync them into it, or give the services an NSS that does).
 */
@FunctionalInterface
public interface UnixGroups {
    Set<String> of(String user, int gid);

    /** Reads {@code file} (group:x:gid:member,member) at every call, so a group added later counts at once. */
    static UnixGroups fromFile(Path file) {
        return (user, gid) -> {
            Set<String> out = new HashSet<>();
            List<String> lines;
            try {
                lines = Files.readAllLines(file);
            } catch (IOException e) {
                return out;
            }
            for (String line : lines) {
                String[] f = line.split(":", -1);
                if (f.length < 4 || line.startsWith("#")) {
                    continue;
                }
                boolean primary = f[2].equals(Integer.toString(gid));
                boolean member = List.of(f[3].split(",")).contains(user);
                if (primary || member) {
                    out.add(f[0]);
                }
            }
            return out;
        };
    }
}
