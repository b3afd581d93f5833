package dev.sluice.cli.common;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GNU getopt_long as Slurm's commands use it: {@code -u x}, {@code -ux}, {@code --user x}, {@code --user=x},
 * bundled short flags ({@code -Xn}), and {@code --} ending the options.
 */
public final class Getopt {
    public record Opt(char shortName, String longName, boolean hasArg) {
        public static Opt flag(char s, String l) {
            return new Opt(s, l, false);
        }

        public static Opt arg(char s, String l) {
            return new Opt(s, l, true);
        }
    }

    /** Bad command line; the message is already in the command's words. */
    public static final class UsageException extends Exception {
        public UsageException(String message) {
            super(message);
        }
    }

    /** Values by long name, in the order given; flags map to "true". */
    public record Parsed(Map<String, List<String>> values, List<String> positionals) {
        public boolean has(String longName) {
            return values.containsKey(longName);
        }

        /** The last value given, as getopt users expect when an option is repeated. */
        public String last(String longName) {
            List<String> v = values.get(longName);
            return v == null ? null : v.getLast();
        }

        /** All values of a list option, each split at commas. */
        public List<String> list(String longName) {
            List<String> out = new ArrayList<>();
            for (String v : values.getOrDefault(longName, List.of())) {
                for (String part : v.split(",")) {
                    if (!part.isBlank()) {
                        out.add(part.trim());
                    }
                }
            }
            return out;
        }
    }

    private Getopt() {
    }

    public static Parsed parse(String command, List<Opt> specs, List<String> argv) throws UsageException {
        Map<String, List<String>> values = new LinkedHashMap<>();
        List<String> positionals = new ArrayList<>();
        for (int i = 0; i < argv.size(); i++) {
            String a = argv.get(i);
            if (a.equals("--")) {
                positionals.addAll(argv.subList(i + 1, argv.size()));
                break;
            }
            if (a.startsWith("--")) {
                String name = a.substring(2);
                String inline = null;
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    inline = name.substring(eq + 1);
                    name = name.substring(0, eq);
                }
                Opt opt = byLong(specs, name);
                if (opt == null) {
                    throw new UsageException(command + ": unrecognized option '" + a + "'");
                }
                if (opt.hasArg()) {
                    if (inline == null) {
                        if (i + 1 >= argv.size()) {
                            throw new UsageException(command + ": option '--" + name + "' requires an argument");
                        }
                        inline = argv.get(++i);
                    }
                    add(values, opt, inline);
                } else {
                    if (inline != null) {
                        throw new UsageException(command + ": option '--" + name + "' doesn't allow an argument");
                    }
                    add(values, opt, "true");
                }
            } else if (a.startsWith("-") && a.length() > 1) {
                for (int j = 1; j < a.length(); j++) {
                    char c = a.charAt(j);
                    Opt opt = byShort(specs, c);
                    if (opt == null) {
                        throw new UsageException(command + ": invalid option -- '" + c + "'");
                    }
                    if (opt.hasArg()) {
                        String v;
                        if (j + 1 < a.length()) {
                            v = a.substring(j + 1);
                        } else if (i + 1 < argv.size()) {
                            v = argv.get(++i);
                        } else {
                            throw new UsageException(command + ": option requires an argument -- '" + c + "'");
                        }
                        add(values, opt, v);
                        break;
                    }
                    add(values, opt, "true");
                }
            } else {
                positionals.add(a);
            }
        }
        return new Parsed(values, positionals);
    }

    private static void add(Map<String, List<String>> values, Opt opt, String v) {
        values.computeIfAbsent(opt.longName(), k -> new ArrayList<>()).add(v);
    }

    private static Opt byLong(List<Opt> specs, String name) {
        for (Opt o : specs) {
            if (o.longName().equals(name)) {
                return o;
            }
        }
        // getopt_long accepts any unambiguous prefix of a long option.
        Opt found = null;
        for (Opt o : specs) {
            if (o.longName().startsWith(name)) {
                if (found != null) {
                    return null;
                }
                found = o;
            }
        }
        return found;
    }

    private static Opt byShort(List<Opt> specs, char c) {
        for (Opt o : specs) {
            if (o.shortName() == c) {
                return o;
            }
        }
        return null;
    }
}
