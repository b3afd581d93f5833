package dev.sluice.contracts.api;

import java.util.List;

/**
 * An sbatch command line split the way sbatch splits it.
 *
 * @param options    the option tokens before the script, as given (a value may be its own token: {@code -J name})
 * @param scriptPath the batch script, or null when it comes from standard input (or {@code --wrap} is used)
 * @param scriptArgs the arguments after the script, passed to it untouched
 */
public record SbatchArgs(List<String> options, String scriptPath, List<String> scriptArgs) {
    public SbatchArgs {
        options = List.copyOf(options);
        scriptArgs = List.copyOf(scriptArgs);
    }
}
