package dev.sluice.scheduler.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A parsed {@code --dependency}: conditions joined by {@code ,} (all must hold) or by {@code ?} (any one will do;
 * Slurm does not allow mixing the two).
 *
 * <ul>
 *   <li>{@code after:id[+minutes]}: id has started (or ended), plus the optional delay</li>
 *   <li>{@code afterany:id}: id has ended, however</li>
 *   <li>{@code afterok:id}: id ended COMPLETED with exit code 0; never satisfied if it ended otherwise</li>
 *   <li>{@code afternotok:id}: id ended in failure (FAILED, TIMEOUT, NODE_FAIL, CANCELLED, OUT_OF_MEMORY); never
 *       satisfied if it completed</li>
 *   <li>{@code singleton}: no earlier job of the same name and user is pending or running</li>
 * </ul>
 * Ids may name an array task {@code 42_7}, or a whole array {@code 42} (every task).
 */
public record Dependency(boolean any, List<Condition> conditions) {
    /** Slurm's ESLURM_DEPENDENCY text, what sbatch prints for a malformed or impossible dependency. */
    public static final String PROBLEM = "Job dependency problem";

    public enum Type { AFTER, AFTERANY, AFTEROK, AFTERNOTOK, SINGLETON }

    /** @param taskId an array task index, or null for the whole job/array */
    public record Condition(Type type, long jobId, Integer taskId, int delayMinutes) {
    }

    public Dependency {
        conditions = List.copyOf(conditions);
    }

    /**
     * @return null for a null or blank value
     * @throws IllegalArgumentException {@link #PROBLEM} for anything Slurm would refuse
     */
    public static Dependency parse(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.trim();
        boolean any = v.indexOf('?') >= 0;
        if (any && v.indexOf(',') >= 0) {
            throw new IllegalArgumentException(PROBLEM);
        }
        List<Condition> out = new ArrayList<>();
        for (String part : v.split(any ? "\\?" : ",")) {
            String p = part.trim();
            if (p.equalsIgnoreCase("singleton")) {
                out.add(new Condition(Type.SINGLETON, 0, null, 0));
                continue;
            }
            String[] f = p.split(":");
            if (f.length < 2) {
                throw new IllegalArgumentException(PROBLEM);
            }
            Type type;
            try {
                type = Type.valueOf(f[0].trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(PROBLEM);
            }
            if (type == Type.SINGLETON) {
                throw new IllegalArgumentException(PROBLEM);
            }
            for (int i = 1; i < f.length; i++) {
                out.add(condition(type, f[i].trim()));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(PROBLEM);
        }
        return new Dependency(any, out);
    }

    private static Condition condition(Type type, String id) {
        try {
            int delay = 0;
            int plus = id.indexOf('+');
            if (plus >= 0) {
                if (type != Type.AFTER) {
                    throw new IllegalArgumentException(PROBLEM);
                }
                delay = Integer.parseInt(id.substring(plus + 1));
                id = id.substring(0, plus);
            }
            Integer task = null;
            int us = id.indexOf('_');
            if (us >= 0) {
                task = Integer.parseInt(id.substring(us + 1));
                id = id.substring(0, us);
            }
            long jobId = Long.parseLong(id);
            if (jobId <= 0 || delay < 0 || task != null && task < 0) {
                throw new IllegalArgumentException(PROBLEM);
            }
            return new Condition(type, jobId, task, delay);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PROBLEM);
        }
    }
}
