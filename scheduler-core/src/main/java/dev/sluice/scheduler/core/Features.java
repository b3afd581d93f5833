package dev.sluice.scheduler.core;

import java.util.Set;

/** {@code -C}: node features joined by {@code &} (all) and {@code |} (any), {@code &} binding tighter. */
final class Features {
    private Features() {
    }

    static boolean matches(String constraint, Set<String> features) {
        String c = constraint.replace("[", "").replace("]", "").replace("(", "").replace(")", "").trim();
        if (c.isEmpty()) {
            return true;
        }
        for (String alternative : c.split("\\|")) {
            boolean all = true;
            for (String f : alternative.split("[&,]")) {
                String name = f.trim();
                int star = name.indexOf('*');
                if (star >= 0) {
                    name = name.substring(0, star);
                }
                all &= name.isEmpty() || features.contains(name);
            }
            if (all) {
                return true;
            }
        }
        return false;
    }
}
