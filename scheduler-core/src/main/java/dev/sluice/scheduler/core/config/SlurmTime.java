package dev.sluice.scheduler.core.config;

/** Slurm's time-limit syntax, as {@code --time} and {@code MaxTime} accept it. */
public final class SlurmTime {
    private SlurmTime() {
    }

    /**
     * Minutes for {@code M}, {@code M:S}, {@code H:M:S}, {@code D-H}, {@code D-H:M}, {@code D-H:M:S}; seconds round
     * up to a whole minute as Slurm does. Null for {@code INFINITE} or {@code UNLIMITED}.
     */
    public static Integer parseMinutes(String text) {
        String t = text.trim();
        if (t.equalsIgnoreCase("INFINITE") || t.equalsIgnoreCase("UNLIMITED")) {
            return null;
        }
        try {
            long days = 0;
            long h = 0;
            long m;
            long s = 0;
            int dash = t.indexOf('-');
            String rest = t;
            if (dash >= 0) {
                days = Long.parseLong(t.substring(0, dash));
                rest = t.substring(dash + 1);
                String[] p = rest.split(":");
                h = Long.parseLong(p[0]);
                m = p.length > 1 ? Long.parseLong(p[1]) : 0;
                s = p.length > 2 ? Long.parseLong(p[2]) : 0;
                if (p.length > 3) {
                    throw new NumberFormatException();
                }
            } else {
                String[] p = rest.split(":");
                switch (p.length) {
                    case 1 -> m = Long.parseLong(p[0]);
                    case 2 -> {
                        m = Long.parseLong(p[0]);
                        s = Long.parseLong(p[1]);
                    }
                    case 3 -> {
                        h = Long.parseLong(p[0]);
                        m = Long.parseLong(p[1]);
                        s = Long.parseLong(p[2]);
                    }
                    default -> throw new NumberFormatException();
                }
            }
            if (days < 0 || h < 0 || m < 0 || s < 0) {
                throw new NumberFormatException();
            }
            long total = days * 1440 + h * 60 + m + (s + 59) / 60;
            if (total > Integer.MAX_VALUE) {
                throw new NumberFormatException();
            }
            return (int) total;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Invalid time limit specification: " + text);
        }
    }

    /** Formats minutes as Slurm prints a time limit: {@code 5:00}, {@code 1:00:00}, {@code 1-00:00:00}. */
    public static String formatMinutes(Integer minutes) {
        if (minutes == null) {
            return "UNLIMITED";
        }
        return formatSeconds(minutes * 60L);
    }

    /** Formats seconds as squeue's TIME and sacct's Elapsed: {@code 0:05}, {@code 1:02:03}, {@code 2-01:02:03}. */
    public static String formatSeconds(long seconds) {
        long d = seconds / 86400;
        long h = (seconds % 86400) / 3600;
        long m = (seconds % 3600) / 60;
        long s = seconds % 60;
        if (d > 0) {
            return String.format("%d-%02d:%02d:%02d", d, h, m, s);
        }
        if (h > 0) {
            return String.format("%d:%02d:%02d", h, m, s);
        }
        return String.format("%d:%02d", m, s);
    }
}
