package dev.sluice.auth;

/** The texts of 401 and 403 answers, shared by the filter and by resources that check ownership. */
public final class Messages {
    private Messages() {
    }

    public static final String NO_TOKEN = "Authentication required: send an OpenID Connect bearer token "
            + "(log in with bin/slogin, or set SLUICE_TOKEN)";

    public static String badToken(String why) {
        return "Invalid or expired token" + (why == null || why.isBlank() ? "" : ": " + why)
                + " (log in again with bin/slogin)";
    }

    public static String needsRole(Role role, Caller caller) {
        return "Access/permission denied: this needs the " + role.claim() + " role; " + caller.name()
                + " has " + (caller.roles().isEmpty() ? "no Sluice role" : "roles " + String.join(",",
                caller.roles().stream().filter(r -> r.equals("user") || r.equals("operator") || r.equals("admin"))
                        .sorted().toList()));
    }

    public static String notOwner(Caller caller, String what) {
        return "Access/permission denied: " + what + " belongs to another user; " + caller.name()
                + " may act only on their own (operators and admins on all)";
    }

    static String json(String error) {
        return "{\"error\":" + quote(error) + "}";
    }

    static String quote(String text) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
