package dev.sluice.cli.srun;

import dev.sluice.contracts.api.SbatchOptionException;
import dev.sluice.contracts.api.SbatchOptions;
import dev.sluice.contracts.api.SbatchOptions.Arg;
import dev.sluice.contracts.api.SbatchOptions.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * srun's command line: srun's own step options, plus the allocation options srun shares with sbatch, which come
 * from the shared sbatch table (contracts' {@link SbatchOptions}) so both commands read them alike. As getopt_long
 * in srun, options stop at the first word that is not an option (the command) and long options may be
 * abbreviated to a unique prefix; the srun meaning wins where the two tables disagree ({@code -u}, {@code -W}).
 *
 * @param values  every option given, by long name, the last occurrence winning; flags map to {@code ""}
 * @param command the command and its arguments (may be empty)
 */
public record SrunOptions(Map<String, String> values, List<String> command) {

    /** Options only srun has (or where srun's meaning differs from sbatch's). */
    static final List<Option> SRUN_ONLY = List.of(
            new Option("label", 'l', Arg.NONE),
            new Option("kill-on-bad-exit", 'K', Arg.OPTIONAL),
            new Option("mpi", (char) 0, Arg.REQUIRED),
            new Option("cpu-bind", (char) 0, Arg.REQUIRED),
            new Option("unbuffered", 'u', Arg.NONE),
            new Option("wait", 'W', Arg.REQUIRED),
            new Option("overlap", (char) 0, Arg.NONE),
            new Option("exact", (char) 0, Arg.NONE),
            new Option("relative", 'r', Arg.REQUIRED),
            new Option("multi-prog", (char) 0, Arg.NONE));

    /** sbatch options srun does not have: naming them is an unrecognized option, as in srun. */
    static final Set<String> SBATCH_ONLY = Set.of("array", "wrap", "parsable", "batch", "ignore-pbs", "usage",
            "export-file", "get-user-env", "kill-on-invalid-dep", "requeue", "no-requeue");

    static final List<Option> TABLE;

    static {
        Map<String, Option> byLong = new LinkedHashMap<>();
        Set<Character> srunShort = new java.util.HashSet<>();
        for (Option o : SRUN_ONLY) {
            byLong.put(o.longName(), o);
            if (o.shortName() != 0) {
                srunShort.add(o.shortName());
            }
        }
        for (Option o : SbatchOptions.table()) {
            if (SBATCH_ONLY.contains(o.longName()) || byLong.containsKey(o.longName())) {
                continue;
            }
            // An sbatch short letter that srun uses for something else keeps only its long form here.
            byLong.put(o.longName(), srunShort.contains(o.shortName()) ? new Option(o.longName(), (char) 0, o.arg()) : o);
        }
        TABLE = List.copyOf(byLong.values());
    }

    public boolean has(String longName) {
        return values.containsKey(longName);
    }

    public String get(String longName) {
        return values.get(longName);
    }

    /**
     * Parses {@code srun [options] command [args...]} (argv without the program name).
     *
     * @throws SbatchOptionException worded as srun's getopt words it ("unrecognized option '--x'")
     */
    public static SrunOptions parse(List<String> argv) {
        Map<String, String> values = new LinkedHashMap<>();
        int i = 0;
        while (i < argv.size()) {
            String w = argv.get(i);
            if (w.equals("--")) {
                i++;
                break;
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
                    value = argv.get(++i);
                } else {
                    value = "";
                }
                values.put(opt.longName(), value);
                i++;
                continue;
            }
            if (w.startsWith("-") && w.length() > 1) {
                int j = 1;
                while (j < w.length()) {
                    char c = w.charAt(j);
                    Option opt = byShort(c);
                    if (opt == null) {
                        throw new SbatchOptionException("invalid option -- '" + c + "'");
                    }
                    String rest = w.substring(j + 1);
                    if (opt.arg() == Arg.NONE) {
                        values.put(opt.longName(), "");
                        j++;
                        continue;
                    }
                    if (!rest.isEmpty()) {
                        values.put(opt.longName(), rest);
                    } else if (opt.arg() == Arg.OPTIONAL) {
                        values.put(opt.longName(), "");
                    } else {
                        if (i + 1 >= argv.size()) {
                            throw new SbatchOptionException("option requires an argument -- '" + c + "'");
                        }
                        values.put(opt.longName(), argv.get(++i));
                    }
                    break;
                }
                i++;
                continue;
            }
            break;
        }
        return new SrunOptions(values, List.copyOf(argv.subList(i, argv.size())));
    }

    private static Option byShort(char c) {
        for (Option o : TABLE) {
            if (o.shortName() == c) {
                return o;
            }
        }
        return null;
    }

    private static Option longOption(String name, String word) {
        List<Option> prefixed = new ArrayList<>();
        for (Option o : TABLE) {
            if (o.longName().equals(name)) {
                return o;
            }
            if (!name.isEmpty() && o.longName().startsWith(name)) {
                prefixed.add(o);
            }
        }
        if (prefixed.size() == 1) {
            return prefixed.getFirst();
        }
        String shown = word.contains("=") ? word.substring(0, word.indexOf('=')) : word;
        if (prefixed.isEmpty()) {
            throw new SbatchOptionException("unrecognized option '" + shown + "'");
        }
        StringBuilder sb = new StringBuilder("option '" + shown + "' is ambiguous; possibilities:");
        prefixed.forEach(o -> sb.append(" '--").append(o.longName()).append('\''));
        throw new SbatchOptionException(sb.toString());
    }
}
