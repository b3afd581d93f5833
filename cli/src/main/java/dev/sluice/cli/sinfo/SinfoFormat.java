package dev.sluice.cli.sinfo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.cli.common.SlurmText;
import dev.sluice.cli.scontrol.Controller;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * sinfo's -o language ({@code %#P %.5a %.10l %.6D %.6t %N}). Nodes of a partition whose printed fields are equal
 * share one line; the node count, node list and CPU counts are summed over the line's nodes.
 */
public final class SinfoFormat {
    public static final String DEFAULT = "%#P %.5a %.10l %.6D %.6t %N";
    public static final String LONG = "%#P %.5a %.10l %.10s %.4r %.8h %.10g %.6D %.11T %N";
    public static final String NODE = "%#N %.6D %#P %6t";
    public static final String NODE_LONG = "%#N %.6D %#P %.11T %.4c %.8z %.6m %.8d %.6w %.8f %20E";
    public static final String REASONS = "%20E %9u %19H %N";
    public static final String REASONS_LONG = "%20E %12U %19H %6t %N";
    public static final String SUMMARIZE = "%#P %.5a %.10l %.16F  %N";

    record Field(char letter, int width, boolean right, boolean fit) {
    }

    private final List<Object> parts;

    private SinfoFormat(List<Object> parts) {
        this.parts = parts;
    }

    public static SinfoFormat parse(String format) {
        List<Object> parts = new ArrayList<>();
        StringBuilder lit = new StringBuilder();
        int i = 0;
        while (i < format.length()) {
            char c = format.charAt(i);
            if (c != '%') {
                lit.append(c);
                i++;
                continue;
            }
            if (i + 1 < format.length() && format.charAt(i + 1) == '%') {
                lit.append('%');
                i += 2;
                continue;
            }
            i++;
            boolean right = false;
            boolean fit = false;
            if (i < format.length() && format.charAt(i) == '.') {
                right = true;
                i++;
            } else if (i < format.length() && format.charAt(i) == '-') {
                i++;
            }
            if (i < format.length() && format.charAt(i) == '#') {
                fit = true;
                i++;
            }
            int width = 0;
            while (i < format.length() && Character.isDigit(format.charAt(i))) {
                width = width * 10 + (format.charAt(i++) - '0');
            }
            if (i >= format.length() || header(format.charAt(i)) == null) {
                throw new IllegalArgumentException("Invalid node format specification: "
                        + (i >= format.length() ? format : format.charAt(i)));
            }
            if (!lit.isEmpty()) {
                parts.add(lit.toString());
                lit.setLength(0);
            }
            parts.add(new Field(format.charAt(i++), width, right, fit));
        }
        if (!lit.isEmpty()) {
            parts.add(lit.toString());
        }
        return new SinfoFormat(parts);
    }

    static String header(char letter) {
        return switch (letter) {
            case 'P', 'R' -> "PARTITION";
            case 'a' -> "AVAIL";
            case 'l' -> "TIMELIMIT";
            case 'L' -> "DEFAULTTIME";
            case 'D' -> "NODES";
            case 'F' -> "NODES(A/I/O/T)";
            case 'N' -> "NODELIST";
            case 'n' -> "HOSTNAMES";
            case 'o' -> "NODE_ADDR";
            case 't', 'T' -> "STATE";
            case 'c' -> "CPUS";
            case 'C' -> "CPUS(A/I/O/T)";
            case 'm' -> "MEMORY";
            case 'e' -> "FREE_MEM";
            case 'O' -> "CPU_LOAD";
            case 'E' -> "REASON";
            case 'u' -> "USER";
            case 'U' -> "USER";
            case 'H' -> "TIMESTAMP";
            case 'G' -> "GRES";
            case 'f' -> "AVAIL_FEATURES";
            case 'b' -> "ACTIVE_FEATURES";
            case 'z' -> "S:C:T";
            case 'X' -> "SOCKETS";
            case 'Y' -> "CORES";
            case 'Z' -> "THREADS";
            case 's' -> "JOB_SIZE";
            case 'r' -> "ROOT";
            case 'h' -> "OVERSUBSCRIBE";
            case 'g' -> "GROUPS";
            case 'w' -> "WEIGHT";
            case 'd' -> "TMP_DISK";
            case 'p' -> "PRIO_TIER";
            default -> null;
        };
    }

    /** The values every node of a line must share: all printed fields except the summed ones. */
    List<String> key(JsonNode partition, JsonNode node) {
        List<String> k = new ArrayList<>();
        for (Object p : parts) {
            if (p instanceof Field f && !aggregate(f.letter())) {
                k.add(value(f.letter(), partition, List.of(node)));
            }
        }
        return k;
    }

    private static boolean aggregate(char letter) {
        return switch (letter) {
            case 'D', 'N', 'n', 'o', 'C', 'F' -> true;
            default -> false;
        };
    }

    /** One line per group: {@code partition} may be null (sinfo -R), {@code nodes} may be empty. */
    record Line(JsonNode partition, List<JsonNode> nodes) {
    }

    List<String> render(List<Line> lines, boolean header) {
        List<List<String>> cells = new ArrayList<>();
        for (Line l : lines) {
            List<String> row = new ArrayList<>();
            for (Object p : parts) {
                if (p instanceof Field f) {
                    row.add(value(f.letter(), l.partition(), l.nodes()));
                }
            }
            cells.add(row);
        }
        List<Field> fields = parts.stream().filter(Field.class::isInstance).map(Field.class::cast).toList();
        int[] widths = new int[fields.size()];
        for (int i = 0; i < fields.size(); i++) {
            Field f = fields.get(i);
            if (f.fit()) {
                int w = header(f.letter()).length();
                for (List<String> row : cells) {
                    w = Math.max(w, row.get(i).length());
                }
                widths[i] = w;
            } else {
                widths[i] = f.width();
            }
        }
        List<String> out = new ArrayList<>();
        if (header) {
            out.add(line(fields, widths, fields.stream().map(f -> header(f.letter())).toList()));
        }
        for (List<String> row : cells) {
            out.add(line(fields, widths, row));
        }
        return out;
    }

    private String line(List<Field> fields, int[] widths, List<String> values) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        for (Object p : parts) {
            if (p instanceof Field f) {
                sb.append(SlurmText.squeueField(values.get(i), widths[i], f.right()));
                i++;
            } else {
                sb.append((String) p);
            }
        }
        return sb.toString().stripTrailing();
    }

    static String value(char letter, JsonNode part, List<JsonNode> nodes) {
        JsonNode n = nodes.isEmpty() ? null : nodes.getFirst();
        return switch (letter) {
            case 'P' -> part == null ? "" : Controller.text(part, "name", "")
                    + (part.path("default").asBoolean(false) ? "*" : "");
            case 'R' -> part == null ? "" : Controller.text(part, "name", "");
            case 'a' -> part == null ? "" : avail(Controller.text(part, "state", "UP"));
            case 'l' -> part == null ? "" : limit(Controller.text(part, "maxTime", "UNLIMITED"));
            case 'L' -> part == null ? "" : limit(Controller.text(part, "defaultTime", "NONE"));
            case 'D' -> Integer.toString(nodes.size());
            case 'F' -> counts(nodes);
            case 'N', 'n', 'o' -> Hostlist.compress(nodes.stream().map(x -> Controller.text(x, "name", "")).toList());
            case 't' -> n == null ? "n/a" : NodeState.shortName(n);
            case 'T' -> n == null ? "n/a" : NodeState.longName(n);
            case 'c' -> n == null ? "0" : Long.toString(Controller.num(n, "cpus", 0));
            case 'C' -> cpus(nodes);
            case 'm' -> n == null ? "0" : Long.toString(Controller.num(n, "memory", 0));
            case 'e' -> n == null || !Controller.has(n, "freeMem") ? "N/A" : Controller.text(n, "freeMem", "N/A");
            case 'O' -> n == null || !Controller.has(n, "cpuLoad") ? "N/A" : Controller.text(n, "cpuLoad", "N/A");
            case 'E' -> n == null ? "none" : reason(n);
            case 'u', 'U' -> n == null ? "Unknown" : Controller.text(n, "reasonUser", "Unknown");
            case 'H' -> n == null ? "Unknown" : timestamp(Controller.text(n, "reasonTime", null));
            case 'G' -> n == null ? "(null)" : nullText(gres(n));
            case 'f', 'b' -> n == null ? "(null)" : nullText(String.join(",", Controller.strings(n, "features")));
            case 'z' -> n == null ? "" : sockets(n) + ":" + cores(n) + ":" + threads(n);
            case 'X' -> n == null ? "" : Long.toString(sockets(n));
            case 'Y' -> n == null ? "" : Long.toString(cores(n));
            case 'Z' -> n == null ? "" : Long.toString(threads(n));
            case 's' -> part == null ? "" : jobSize(part);
            case 'r' -> "no";
            case 'h' -> part == null ? "" : Controller.text(part, "overSubscribe", "NO").toUpperCase(Locale.ROOT);
            case 'g' -> part == null ? "" : groups(part);
            case 'w' -> n == null ? "" : Long.toString(Controller.num(n, "weight", 1));
            case 'd' -> "0";
            case 'p' -> part == null ? "" : Long.toString(Controller.num(part, "priorityTier", 1));
            default -> "";
        };
    }

    private static String avail(String state) {
        return switch (state.toUpperCase(Locale.ROOT)) {
            case "UP" -> "up";
            case "DOWN" -> "down";
            case "DRAIN" -> "drain";
            case "INACTIVE" -> "inact";
            default -> state.toLowerCase(Locale.ROOT);
        };
    }

    /** sinfo writes an unlimited partition time as {@code infinite}. */
    static String limit(String t) {
        return t == null || t.equalsIgnoreCase("UNLIMITED") || t.equalsIgnoreCase("INFINITE") ? "infinite"
                : t.equalsIgnoreCase("NONE") ? "n/a" : t;
    }

    static String reason(JsonNode n) {
        String r = Controller.text(n, "reason", "");
        if (r.isBlank() || r.equalsIgnoreCase("None")) {
            return NodeState.shortName(n).endsWith("*") ? "Not responding" : "none";
        }
        return r;
    }

    private static String timestamp(String t) {
        if (t == null || t.isBlank()) {
            return "Unknown";
        }
        return t.length() >= 19 ? t.substring(0, 19) : t;
    }

    static String gres(JsonNode n) {
        JsonNode g = n.get("gres");
        if (g == null || g.isNull()) {
            return "";
        }
        if (g.isArray()) {
            return String.join(",", Controller.strings(n, "gres"));
        }
        return g.asText();
    }

    private static String nullText(String s) {
        return s == null || s.isBlank() ? "(null)" : s;
    }

    static long sockets(JsonNode n) {
        return Controller.num(n, "sockets", 1);
    }

    static long threads(JsonNode n) {
        return Controller.num(n, "threadsPerCore", 1);
    }

    static long cores(JsonNode n) {
        long c = Controller.num(n, "coresPerSocket", 0);
        return c > 0 ? c : Math.max(1, Controller.num(n, "cpus", 1) / sockets(n) / threads(n));
    }

    private static String jobSize(JsonNode part) {
        long max = Controller.num(part, "maxNodes", 0);
        return "1-" + (max <= 0 ? "infinite" : Long.toString(max));
    }

    private static String groups(JsonNode part) {
        List<String> g = Controller.strings(part, "allowGroups");
        return g.isEmpty() || g.contains("ALL") ? "all" : String.join(",", g);
    }

    private static String cpus(List<JsonNode> nodes) {
        long a = 0;
        long i = 0;
        long o = 0;
        long t = 0;
        for (JsonNode n : nodes) {
            long total = Controller.num(n, "cpus", 0);
            long alloc = Controller.num(n, "allocCpus", 0);
            t += total;
            a += alloc;
            if (NodeState.unavailable(n)) {
                o += total - alloc;
            } else {
                i += total - alloc;
            }
        }
        return a + "/" + i + "/" + o + "/" + t;
    }

    private static String counts(List<JsonNode> nodes) {
        long a = 0;
        long i = 0;
        long o = 0;
        for (JsonNode n : nodes) {
            if (NodeState.unavailable(n)) {
                o++;
            } else if (Controller.num(n, "allocCpus", 0) > 0
                    || NodeState.base(n).equals("ALLOCATED") || NodeState.base(n).equals("MIXED")) {
                a++;
            } else {
                i++;
            }
        }
        return a + "/" + i + "/" + o + "/" + nodes.size();
    }
}
