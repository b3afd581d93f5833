package dev.sluice.nodeagent.launch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A job's supplementary groups, from the node's user database ({@code id <user>}: /etc/group, or LDAP through NSS
 * where the node has it). Only used when the database's uid for the name is the job's uid, so a user of the same
 * name elsewhere never lends their groups; otherwise the job gets its primary group alone.
 */
final class UserGroups {
    private static final Pattern ID = Pattern.compile("uid=(\\d+)\\S*\\s+gid=\\d+\\S*(?:\\s+groups=(\\S+))?");
    private static final Pattern GROUP = Pattern.compile("(\\d+)(?:\\([^)]*\\))?");
    private static final long TTL_NANOS = TimeUnit.SECONDS.toNanos(60);

    record Entry(int uid, List<Integer> groups, long at) {
    }

    private final Map<String, Entry> cache = new ConcurrentHashMap<>();

    List<Integer> of(String user, int uid, int gid) {
        List<Integer> groups = new ArrayList<>();
        groups.add(gid);
        if (user == null || user.isBlank() || user.startsWith("-")) {
            return groups;
        }
        Entry e = cache.get(user);
        if (e == null || System.nanoTime() - e.at > TTL_NANOS) {
            e = lookup(user);
            cache.put(user, e);
        }
        if (e.uid == uid) {
            e.groups.stream().filter(g -> !groups.contains(g)).forEach(groups::add);
        }
        return groups;
    }

    private static Entry lookup(String user) {
        try {
            Process p = new ProcessBuilder("id", "--", user).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor() != 0) {
                return new Entry(-1, List.of(), System.nanoTime());
            }
            return parse(out);
        } catch (IOException e) {
            return new Entry(-1, List.of(), System.nanoTime());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Entry(-1, List.of(), System.nanoTime());
        }
    }

    /** {@code uid=1000(alice) gid=1000(alice) groups=1000(alice),27(sudo)}. */
    static Entry parse(String idOutput) {
        Matcher m = ID.matcher(idOutput);
        if (!m.find()) {
            return new Entry(-1, List.of(), System.nanoTime());
        }
        List<Integer> groups = new ArrayList<>();
        if (m.group(2) != null) {
            for (String g : m.group(2).split(",")) {
                Matcher gm = GROUP.matcher(g);
                if (gm.lookingAt()) {
                    groups.add(Integer.parseInt(gm.group(1)));
                }
            }
        }
        return new Entry(Integer.parseInt(m.group(1)), List.copyOf(groups), System.nanoTime());
    }
}
