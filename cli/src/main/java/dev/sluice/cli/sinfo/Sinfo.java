package dev.sluice.cli.sinfo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.cli.common.Api;
import dev.sluice.cli.common.Context;
import dev.sluice.cli.common.Getopt;
import dev.sluice.cli.common.Getopt.Opt;
import dev.sluice.cli.scontrol.Controller;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** sinfo: partitions and node states from the scheduler, grouped and printed as Slurm's sinfo does. */
public final class Sinfo {
    static final List<Opt> OPTIONS = List.of(
            Opt.flag('N', "Node"), Opt.flag('l', "long"), Opt.arg('o', "format"), Opt.arg('p', "partition"),
            Opt.arg('t', "states"), Opt.flag('R', "list-reasons"), Opt.flag('h', "noheader"),
            Opt.arg('n', "nodes"), Opt.flag('s', "summarize"), Opt.flag('a', "all"), Opt.flag('d', "dead"),
            Opt.flag('\0', "help"), Opt.flag('\0', "usage"));

    private static final DateTimeFormatter CTIME = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.ROOT);

    private Sinfo() {
    }

    public static int run(Context ctx, List<String> argv, Api api) {
        Getopt.Parsed o;
        try {
            o = Getopt.parse("sinfo", OPTIONS, argv);
        } catch (Getopt.UsageException e) {
            ctx.err().println(e.getMessage());
            ctx.err().println("Try \"sinfo --help\" for more information");
            return 1;
        }
        if (o.has("help") || o.has("usage")) {
            ctx.out().println("Usage: sinfo [-N] [-l] [-R] [-s] [-h] [-o format] [-p partitions] [-t states] [-n nodes]");
            return 0;
        }
        for (String s : o.list("states")) {
            if (!NodeState.known(s)) {
                ctx.err().println("sinfo: error: Invalid node state specified: " + s);
                return 1;
            }
        }
        boolean nodeMode = o.has("Node");
        boolean reasons = o.has("list-reasons") || o.has("dead") && !nodeMode;
        String formatText;
        if (o.has("format")) {
            formatText = o.last("format");
        } else if (reasons) {
            formatText = o.has("long") ? SinfoFormat.REASONS_LONG : SinfoFormat.REASONS;
        } else if (nodeMode) {
            formatText = o.has("long") ? SinfoFormat.NODE_LONG : SinfoFormat.NODE;
        } else if (o.has("summarize")) {
            formatText = SinfoFormat.SUMMARIZE;
        } else {
            formatText = o.has("long") ? SinfoFormat.LONG : SinfoFormat.DEFAULT;
        }
        SinfoFormat format;
        try {
            format = SinfoFormat.parse(formatText);
        } catch (IllegalArgumentException e) {
            ctx.err().println("sinfo: error: " + e.getMessage());
            return 1;
        }

        Controller c = new Controller(ctx, api);
        List<JsonNode> nodes;
        List<JsonNode> partitions;
        try {
            nodes = new ArrayList<>(c.nodes());
            partitions = c.partitions();
        } catch (Api.Unreachable e) {
            ctx.err().println("slurm_load_partitions: " + e.getMessage());
            return 1;
        } catch (Controller.Failed e) {
            ctx.err().println("sinfo: error: " + e.getMessage());
            return 1;
        }
        nodes.sort(Comparator.comparing((JsonNode n) -> Controller.text(n, "name", "")));

        Set<String> wantedParts = new HashSet<>(o.list("partition"));
        // -n takes hostlists, whose brackets may hold commas: expand each value whole.
        Set<String> wantedNodes = new HashSet<>();
        for (String v : o.values().getOrDefault("nodes", List.of())) {
            wantedNodes.addAll(Hostlist.expand(v));
        }
        List<String> states = o.list("states");
        List<JsonNode> shown = nodes.stream()
                .filter(n -> wantedNodes.isEmpty() || wantedNodes.contains(Controller.text(n, "name", "")))
                .filter(n -> states.isEmpty() || states.stream().anyMatch(s -> NodeState.matches(n, s)))
                .filter(n -> !o.has("dead") || NodeState.unavailable(n))
                .toList();
        boolean filtered = !states.isEmpty() || !wantedNodes.isEmpty() || o.has("dead");

        List<SinfoFormat.Line> lines = new ArrayList<>();
        if (reasons) {
            List<JsonNode> troubled = shown.stream().filter(NodeState::unavailable)
                    .filter(n -> wantedParts.isEmpty() || inAny(n, wantedParts)).toList();
            lines.addAll(group(format, null, troubled));
        } else if (nodeMode) {
            for (JsonNode n : shown) {
                for (JsonNode p : partitions) {
                    String name = Controller.text(p, "name", "");
                    if ((wantedParts.isEmpty() || wantedParts.contains(name)) && member(n, name)) {
                        lines.add(new SinfoFormat.Line(p, List.of(n)));
                    }
                }
            }
        } else {
            for (JsonNode p : partitions) {
                String name = Controller.text(p, "name", "");
                if (!wantedParts.isEmpty() && !wantedParts.contains(name)) {
                    continue;
                }
                List<JsonNode> members = shown.stream().filter(n -> member(n, name)).toList();
                if (members.isEmpty()) {
                    // Slurm prints an empty partition as one line of zero nodes, unless a filter hid its nodes.
                    if (!filtered) {
                        lines.add(new SinfoFormat.Line(p, List.of()));
                    }
                    continue;
                }
                lines.addAll(o.has("summarize") ? List.of(new SinfoFormat.Line(p, members)) : group(format, p, members));
            }
        }
        if (o.has("long") && !o.has("noheader")) {
            ctx.out().println(CTIME.format(ZonedDateTime.ofInstant(ctx.clock().instant(), ctx.zone())));
        }
        format.render(lines, !o.has("noheader")).forEach(ctx.out()::println);
        return 0;
    }

    private static List<SinfoFormat.Line> group(SinfoFormat format, JsonNode partition, List<JsonNode> nodes) {
        Map<List<String>, List<JsonNode>> groups = new LinkedHashMap<>();
        for (JsonNode n : nodes) {
            groups.computeIfAbsent(format.key(partition, n), k -> new ArrayList<>()).add(n);
        }
        return groups.values().stream().map(g -> new SinfoFormat.Line(partition, g)).toList();
    }

    private static boolean member(JsonNode node, String partition) {
        return Controller.strings(node, "partitions").contains(partition);
    }

    private static boolean inAny(JsonNode node, Set<String> partitions) {
        return Controller.strings(node, "partitions").stream().anyMatch(partitions::contains);
    }
}
