package dev.sluice.identity.api;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/** {@code {"error": "...", "problems": [...]}}: what every refusal of this service answers. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record ErrorBody(String error, List<String> problems) {
    public ErrorBody(String error) {
        this(error, List.of());
    }
}
