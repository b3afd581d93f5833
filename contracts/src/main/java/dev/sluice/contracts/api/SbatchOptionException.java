package dev.sluice.contracts.api;

/** A bad sbatch option or value. The message is worded as sbatch words it, ready to print after "sbatch: error: ". */
public class SbatchOptionException extends IllegalArgumentException {
    public SbatchOptionException(String message) {
        super(message);
    }
}
