package dev.sluice.runner;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The supervisor's start-up story, one line per event, which {@code up} follows to show progress:
 * {@code START i n name}, {@code READY i n name millis}, {@code SKIPPED i n name why}, {@code FAILED i n name why},
 * {@code NOTE text}, {@code UP}.
 */
public final class Progress {
    private final Path file;

    public Progress(Path file) {
        this.file = file;
    }

    public void reset() {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public synchronized void emit(String line) {
        try {
            Files.writeString(file, line.replace('\n', ' ') + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
