package dev.sluice.cli.sinfo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.cli.scontrol.Controller;

import java.util.Locale;

/** A node's state as sinfo names it: {@code idle}, {@code mix}, {@code drng}, and {@code *} when not responding. */
public final class NodeState {
    private NodeState() {
    }

    /** The service's name (IDLE, MIXED, DRAINED, ...), upper case. */
    public static String base(JsonNode node) {
        return Controller.text(node, "state", "UNKNOWN").toUpperCase(Locale.ROOT);
    }

    public static String shortName(JsonNode node) {
        String s = switch (base(node)) {
            case "IDLE" -> "idle";
            case "MIXED" -> "mix";
            case "ALLOCATED" -> "alloc";
            case "COMPLETING" -> "comp";
            case "DRAINED" -> "drain";
            case "DRAINING" -> "drng";
            case "DOWN" -> "down";
            case "FUTURE" -> "futr";
            case "RESERVED" -> "resv";
            case "PLANNED" -> "plnd";
            case "FAIL" -> "fail";
            default -> "unk";
        };
        return s + suffix(node);
    }

    public static String longName(JsonNode node) {
        return base(node).toLowerCase(Locale.ROOT) + suffix(node);
    }

    /** Slurm's {@code *}: the controller has not heard from the node within SlurmdTimeout. */
    private static String suffix(JsonNode node) {
        JsonNode r = node.get("responding");
        return r != null && r.isBoolean() && !r.asBoolean() ? "*" : "";
    }

    /** Whether the node is out of service (DOWN, DRAIN*, FAIL): its CPUs count as "other" and -R lists it. */
    public static boolean unavailable(JsonNode node) {
        return switch (base(node)) {
            case "DOWN", "DRAINED", "DRAINING", "FAIL" -> true;
            default -> !suffix(node).isEmpty();
        };
    }

    /** sinfo -t: short or long names, {@code drain} covering drained and draining as in Slurm. */
    public static boolean matches(JsonNode node, String wanted) {
        String w = wanted.toLowerCase(Locale.ROOT);
        String base = base(node).toLowerCase(Locale.ROOT);
        String shortName = shortName(node).replace("*", "");
        return switch (w) {
            case "drain" -> base.equals("drained") || base.equals("draining");
            case "alloc", "allocated" -> base.equals("allocated");
            case "mix", "mixed" -> base.equals("mixed");
            case "comp", "completing" -> base.equals("completing");
            case "noresp", "no_respond" -> !suffix(node).isEmpty();
            case "resp", "responding" -> suffix(node).isEmpty();
            default -> w.equals(base) || w.equals(shortName);
        };
    }

    static boolean known(String wanted) {
        return switch (wanted.toLowerCase(Locale.ROOT)) {
            case "idle", "mix", "mixed", "alloc", "allocated", "comp", "completing", "drain", "drained", "draining",
                 "drng", "down", "fail", "futr", "future", "resv", "reserved", "plnd", "planned", "unk", "unknown",
                 "noresp", "no_respond", "resp", "responding" -> true;
            default -> false;
        };
    }
}
