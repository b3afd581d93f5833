package dev.sluice.contracts.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The sbatch option table and parser, shared by the CLI and the submit service so both read a command line and
 * {@code #SBATCH} lines the same way. Parsing follows getopt_long as sbatch uses it: options stop at the first
 * non-option (the script), {@code --} ends them, long options may be abbreviated to a unique prefix, short
 * options cluster ({@code -Hn4}) and take their value attached or as the next word.
 */
public final class SbatchOptions {

    /** Whether an option takes a value. OPTIONAL values can only be attached ({@code --nice=5}, {@code -k5}). */
    public enum Arg { NONE, REQUIRED, OPTIONAL }

    /** One row of the option table. {@code shortName} is 0 when the option has no short form. */
    public record Option(String longName, char shortName, Arg arg) {
    }

    private static final List<Option> TABLE = List.of(
            o("account", 'A', Arg.REQUIRED),
            o("acctg-freq", Arg.REQUIRED),
            o("array", 'a', Arg.REQUIRED),
            o("batch", Arg.REQUIRED),
            o("begin", 'b', Arg.REQUIRED),
            o("chdir", 'D', Arg.REQUIRED),
            o("cluster-constraint", Arg.REQUIRED),
            o("clusters", 'M', Arg.REQUIRED),
            o("comment", Arg.REQUIRED),
            o("constraint", 'C', Arg.REQUIRED),
            o("container", Arg.REQUIRED),
            o("contiguous", Arg.NONE),
            o("core-spec", 'S', Arg.REQUIRED),
            o("cores-per-socket", Arg.REQUIRED),
            o("cpu-freq", Arg.REQUIRED),
            o("cpus-per-gpu", Arg.REQUIRED),
            o("cpus-per-task", 'c', Arg.REQUIRED),
            o("deadline", Arg.REQUIRED),
            o("delay-boot", Arg.REQUIRED),
            o("dependency", 'd', Arg.REQUIRED),
            o("distribution", 'm', Arg.REQUIRED),
            o("error", 'e', Arg.REQUIRED),
            o("exclude", 'x', Arg.REQUIRED),
            o("exclusive", Arg.OPTIONAL),
            o("export", Arg.REQUIRED),
            o("export-file", Arg.REQUIRED),
            o("extra-node-info", 'B', Arg.REQUIRED),
            o("get-user-env", Arg.OPTIONAL),
            o("gid", Arg.REQUIRED),
            o("gpu-bind", Arg.REQUIRED),
            o("gpu-freq", Arg.REQUIRED),
            o("gpus", 'G', Arg.REQUIRED),
            o("gpus-per-node", Arg.REQUIRED),
            o("gpus-per-socket", Arg.REQUIRED),
            o("gpus-per-task", Arg.REQUIRED),
            o("gres", Arg.REQUIRED),
            o("gres-flags", Arg.REQUIRED),
            o("help", 'h', Arg.NONE),
            o("hint", Arg.REQUIRED),
            o("hold", 'H', Arg.NONE),
            o("ignore-pbs", Arg.NONE),
            o("immediate", 'I', Arg.NONE),
            o("input", 'i', Arg.REQUIRED),
            o("job-name", 'J', Arg.REQUIRED),
            o("kill-on-invalid-dep", Arg.REQUIRED),
            o("licenses", 'L', Arg.REQUIRED),
            o("mail-type", Arg.REQUIRED),
            o("mail-user", Arg.REQUIRED),
            o("mcs-label", Arg.REQUIRED),
            o("mem", Arg.REQUIRED),
            o("mem-bind", Arg.REQUIRED),
            o("mem-per-cpu", Arg.REQUIRED),
            o("mem-per-gpu", Arg.REQUIRED),
            o("mincpus", Arg.REQUIRED),
            o("network", Arg.REQUIRED),
            o("nice", Arg.OPTIONAL),
            o("no-kill", 'k', Arg.OPTIONAL),
            o("no-requeue", Arg.NONE),
            o("nodefile", 'F', Arg.REQUIRED),
            o("nodelist", 'w', Arg.REQUIRED),
            o("nodes", 'N', Arg.REQUIRED),
            o("ntasks", 'n', Arg.REQUIRED),
            o("ntasks-per-core", Arg.REQUIRED),
            o("ntasks-per-gpu", Arg.REQUIRED),
            o("ntasks-per-node", Arg.REQUIRED),
            o("ntasks-per-socket", Arg.REQUIRED),
            o("open-mode", Arg.REQUIRED),
            o("output", 'o', Arg.REQUIRED),
            o("overcommit", 'O', Arg.NONE),
            o("oversubscribe", 's', Arg.NONE),
            o("parsable", Arg.NONE),
            o("partition", 'p', Arg.REQUIRED),
            o("power", Arg.REQUIRED),
            o("prefer", Arg.REQUIRED),
            o("priority", Arg.REQUIRED),
            o("profile", Arg.REQUIRED),
            o("propagate", Arg.OPTIONAL),
            o("qos", 'q', Arg.REQUIRED),
            o("quiet", 'Q', Arg.NONE),
            o("reboot", Arg.NONE),
            o("requeue", Arg.NONE),
            o("reservation", Arg.REQUIRED),
            o("signal", Arg.REQUIRED),
            o("sockets-per-node", Arg.REQUIRED),
            o("spread-job", Arg.NONE),
            o("switches", Arg.REQUIRED),
            o("test-only", Arg.NONE),
            o("thread-spec", Arg.REQUIRED),
            o("threads-per-core", Arg.REQUIRED),
            o("time", 't', Arg.REQUIRED),
            o("time-min", Arg.REQUIRED),
            o("tmp", Arg.REQUIRED),
            o("tres-per-task", Arg.REQUIRED),
            o("uid", Arg.REQUIRED),
            o("usage", 'u', Arg.NONE),
            o("use-min-nodes", Arg.NONE),
            o("verbose", 'v', Arg.NONE),
            o("version", 'V', Arg.NONE),
            o("wait", 'W', Arg.NONE),
            o("wait-all-nodes", Arg.REQUIRED),
            o("wckey", Arg.REQUIRED),
            o("wrap", Arg.REQUIRED));

    private static final Map<String, Option> BY_LONG = new LinkedHashMap<>();
    private static final Map<Character, Option> BY_SHORT = new LinkedHashMap<>();

    static {
        for (Option opt : TABLE) {
            BY_LONG.put(opt.longName(), opt);
            if (opt.shortName() != 0) {
                BY_SHORT.put(opt.shortName(), opt);
            }
        }
    }

    private SbatchOptions() {
    }

    private static Option o(String longName, char shortName, Arg arg) {
        return new Option(longName, shortName, arg);
    }

    private static Option o(String longName, Arg arg) {
        return new Option(longName, (char) 0, arg);
    }

    /** The whole option table, in alphabetical order of long names. */
    public static List<Option> table() {
        return TABLE;
    }

    /** The option a word names: {@code "--job-name"}, {@code "--job"} (a unique prefix) or {@code "-J"}. */
    public static Optional<Option> lookup(String word) {
        try {
            if (word.startsWith("--")) {
                String name = word.substring(2);
                int eq = name.indexOf('=');
                return Optional.of(longOption(eq < 0 ? name : name.substring(0, eq), word));
            }
            if (word.length() == 2 && word.charAt(0) == '-') {
                return Optional.ofNullable(BY_SHORT.get(word.charAt(1)));
            }
        } catch (SbatchOptionException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    // ---- command line -------------------------------------------------------------------------------------

    /**
     * Splits {@code sbatch [options] [script [args...]]} (argv without the program name). Options end at the first
     * word that is not an option or an option's value; everything after the script belongs to the script.
     *
     * @throws SbatchOptionException for an unknown option or a missing value, worded like sbatch
     */
    public static SbatchArgs splitCommandLine(List<String> argv) {
        List<String> options = new ArrayList<>();
        int i = scan(argv, options, null);
        if (i >= argv.size()) {
            return new SbatchArgs(options, null, List.of());
        }
        return new SbatchArgs(options, argv.get(i), argv.subList(i + 1, argv.size()));
    }

    /**
     * Parses option words (from {@link #splitCommandLine}, from {@link #directives}, or both concatenated with the
     * command line last, so it wins as in sbatch).
     *
     * @throws SbatchOptionException for an unknown option, a missing value, or a word that is not an option
     */
    public static ParsedOptions parse(List<String> options) {
        List<Map.Entry<Option, String>> given = new ArrayList<>();
        int end = scan(options, null, given);
        if (end < options.size()) {
            throw new SbatchOptionException("Invalid directive found in batch script: " + options.get(end));
        }
        Map<String, String> values = new LinkedHashMap<>();
        Boolean requeue = null;
        for (Map.Entry<Option, String> e : given) {
            String name = e.getKey().longName();
            values.put(name, e.getValue());
            if (name.equals("requeue")) {
                requeue = true;
                values.remove("no-requeue");
            } else if (name.equals("no-requeue")) {
                requeue = false;
                values.remove("requeue");
            }
        }
        return ParsedOptions.of(values, requeue);
    }

    /**
     * Walks option words getopt-style. Returns the index of the first word that is not an option (or the size).
     * Collects the option words as given into {@code words} and the (option, value) pairs into {@code given}.
     */
    private static int scan(List<String> argv, List<String> words, List<Map.Entry<Option, String>> given) {
        int i = 0;
        while (i < argv.size()) {
            String w = argv.get(i);
            if (w.equals("--")) {
                add(words, w);
                return i + 1;
            }
            if (w.startsWith("--")) {
                String body = w.substring(2);
                int eq = body.indexOf('=');
                Option opt = longOption(eq < 0 ? body : body.substring(0, eq), w);
                String value;
                if (eq >= 0) {
                    if (opt.arg() == Arg.NONE) {
                        throw new SbatchOptionException("option '--" + opt.longName() + "' doesn't allow an argument");
                    }
                    value = body.substring(eq + 1);
                } else if (opt.arg() == Arg.REQUIRED) {
                    if (i + 1 >= argv.size()) {
                        throw new SbatchOptionException("option '--" + opt.longName() + "' requires an argument");
                    }
                    add(words, w);
                    w = argv.get(++i);
                    value = w;
                } else {
                    value = "";
                }
                add(words, w);
                record(given, opt, value);
                i++;
                continue;
            }
            if (w.startsWith("-") && w.length() > 1) {
                add(words, w);
                int j = 1;
                while (j < w.length()) {
                    char c = w.charAt(j);
                    Option opt = BY_SHORT.get(c);
                    if (opt == null) {
                        throw new SbatchOptionException("invalid option -- '" + c + "'");
                    }
                    String rest = w.substring(j + 1);
                    if (opt.arg() == Arg.NONE) {
                        record(given, opt, "");
                        j++;
                        continue;
                    }
                    if (!rest.isEmpty()) {
                        record(given, opt, rest);
                    } else if (opt.arg() == Arg.OPTIONAL) {
                        record(given, opt, "");
                    } else {
                        if (i + 1 >= argv.size()) {
                            throw new SbatchOptionException("option requires an argument -- '" + c + "'");
                        }
                        String value = argv.get(++i);
                        add(words, value);
                        record(given, opt, value);
                    }
                    break;
                }
                i++;
                continue;
            }
            return i;
        }
        return i;
    }

    private static void add(List<String> words, String w) {
        if (words != null) {
            words.add(w);
        }
    }

    private static void record(List<Map.Entry<Option, String>> given, Option opt, String value) {
        if (given != null) {
            given.add(Map.entry(opt, value));
        }
    }

    private static Option longOption(String name, String word) {
        Option exact = BY_LONG.get(name);
        if (exact != null) {
            return exact;
        }
        List<Option> candidates = name.isEmpty() ? List.of()
                : TABLE.stream().filter(o -> o.longName().startsWith(name)).toList();
        if (candidates.size() == 1) {
            return candidates.getFirst();
        }
        String shown = word.contains("=") ? word.substring(0, word.indexOf('=')) : word;
        if (candidates.isEmpty()) {
            throw new SbatchOptionException("unrecognized option '" + shown + "'");
        }
        StringBuilder sb = new StringBuilder("option '" + shown + "' is ambiguous; possibilities:");
        candidates.forEach(c -> sb.append(" '--").append(c.longName()).append('\''));
        throw new SbatchOptionException(sb.toString());
    }

    // ---- #SBATCH directives -------------------------------------------------------------------------------

    private static final String MAGIC = "#SBATCH";

    /**
     * The option words in a script's {@code #SBATCH} lines, in order. As in sbatch, directives are read only until
     * the first line that is neither blank nor a comment; {@code #SBATCH} must start the line and be followed by
     * white space; words are split on white space, quotes group and are removed, a backslash escapes the next
     * character, and an unquoted {@code #} starts a comment that runs to the end of the line.
     */
    public static List<String> directives(String script) {
        List<String> words = new ArrayList<>();
        if (script == null) {
            return words;
        }
        for (String line : script.split("\r?\n", -1)) {
            String trimmed = line.strip();
            if (trimmed.isEmpty()) {
                continue;
            }
            if (!trimmed.startsWith("#")) {
                break;
            }
            if (line.startsWith(MAGIC) && line.length() > MAGIC.length()
                    && Character.isWhitespace(line.charAt(MAGIC.length()))) {
                splitDirective(line.substring(MAGIC.length()), words);
            }
        }
        return words;
    }

    private static void splitDirective(String text, List<String> out) {
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    word.append(c);
                }
                continue;
            }
            if (c == '\\' && i + 1 < text.length()) {
                word.append(text.charAt(++i));
                inWord = true;
            } else if (c == '"' || c == '\'') {
                quote = c;
                inWord = true;
            } else if (c == '#') {
                break;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    out.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            out.add(word.toString());
        }
    }

    // ---- value checks, with sbatch's messages ---------------------------------------------------------------

    /** A count that must be a positive integer ({@code --ntasks}, {@code --cpus-per-task}, ...). */
    public static int positiveInt(String value, String option) {
        try {
            int n = Integer.parseInt(value.strip());
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException | NullPointerException e) {
            // fall through to sbatch's message
        }
        throw new SbatchOptionException("Invalid numeric value \"" + value + "\" for " + dashed(option) + ".");
    }

    /** {@code -N min} or {@code -N min-max}. */
    public record NodeCount(int min, Integer max) {
    }

    private static final Pattern NODES = Pattern.compile("(\\d+)(?:-(\\d+))?");

    public static NodeCount nodeCount(String value) {
        Matcher m = value == null ? null : NODES.matcher(value.strip());
        if (m == null || !m.matches()) {
            throw new SbatchOptionException("Invalid node count specification: " + value);
        }
        int min = positiveInt(m.group(1), "nodes");
        if (m.group(2) == null) {
            return new NodeCount(min, null);
        }
        int max = positiveInt(m.group(2), "nodes");
        if (max < min) {
            throw new SbatchOptionException("Invalid node count specification: " + value);
        }
        return new NodeCount(min, max);
    }

    private static final Pattern MEM = Pattern.compile("(\\d+)([KMGT]?)B?", Pattern.CASE_INSENSITIVE);

    /**
     * A memory size in MiB, read as sbatch reads {@code --mem}: a number with an optional K, M, G or T suffix,
     * MiB when there is none; kibibytes round up to whole MiB.
     *
     * @param option the option's long name, for the message ({@code "mem"}, {@code "mem-per-cpu"})
     */
    public static long memoryMb(String value, String option) {
        Matcher m = value == null ? null : MEM.matcher(value.strip());
        if (m == null || !m.matches()) {
            throw new SbatchOptionException("Invalid " + dashed(option) + " specification");
        }
        try {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2).toUpperCase(Locale.ROOT)) {
                case "K" -> (n + 1023) / 1024;
                case "G" -> Math.multiplyExact(n, 1024L);
                case "T" -> Math.multiplyExact(n, 1024L * 1024L);
                default -> n;
            };
        } catch (ArithmeticException | NumberFormatException e) {
            throw new SbatchOptionException("Invalid " + dashed(option) + " specification");
        }
    }

    private static String dashed(String option) {
        return option.startsWith("-") ? option : "--" + option;
    }
}
