package dev.sluice.identity.mapping;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;

import java.io.IOException;

/** Reads and writes the mapping as YAML (JSON is YAML too, so a JSON body parses the same way). */
public final class MappingFormat {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER))
            .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private MappingFormat() {
    }

    /** @throws IllegalArgumentException with the parser's words and position when the text is not a mapping */
    public static AccountMapping parse(String text) {
        if (text == null || text.isBlank()) {
            return AccountMapping.empty();
        }
        try {
            AccountMapping m = YAML.readValue(text, AccountMapping.class);
            return m == null ? AccountMapping.empty() : m;
        } catch (IOException e) {
            String message = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage()
                    : e.getMessage();
            throw new IllegalArgumentException("mapping is not valid: " + String.valueOf(message).lines().findFirst()
                    .orElse("unreadable") + location(e), e);
        }
    }

    public static String write(AccountMapping mapping) {
        try {
            return YAML.writeValueAsString(mapping);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String location(IOException e) {
        if (e instanceof com.fasterxml.jackson.core.JsonProcessingException j && j.getLocation() != null) {
            return " (line " + j.getLocation().getLineNr() + ", column " + j.getLocation().getColumnNr() + ")";
        }
        return "";
    }
}
