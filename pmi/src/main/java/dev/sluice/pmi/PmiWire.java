package dev.sluice.pmi;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The two framings of MPICH's simple PMI wire protocol.
 * <ul>
 *   <li>PMI-1: one line per message, {@code cmd=<name> key=value key=value\n}; newer MPICH clients escape spaces in
 *   values with a backslash.</li>
 *   <li>PMI-2: a 6-character decimal length, then {@code cmd=<name>;key=value;key=value;} without a newline.</li>
 * </ul>
 * A connection may switch: a PMI-2 client sends its first {@code cmd=init pmi_version=2} as a PMI-1 line.
 */
final class PmiWire {

    static final int MAX_MESSAGE = 1 << 20;

    enum Framing { V1, V2 }

    /** A parsed request: the command name, its attributes in order, and which framing carried it. */
    record Message(Framing framing, String cmd, Map<String, String> attrs, String raw) {
        String get(String key) {
            return attrs.get(key);
        }

        int getInt(String key, int fallback) {
            String v = attrs.get(key);
            if (v == null) {
                return fallback;
            }
            try {
                return Integer.parseInt(v.trim());
            } catch (NumberFormatException e) {
                return fallback;
            }
        }
    }

    private PmiWire() {
    }

    /** Reads the next message, or returns null at a clean end of stream. */
    static Message read(InputStream in) throws IOException {
        int first = in.read();
        if (first < 0) {
            return null;
        }
        if (first == 'c' || first == 'm') {
            ByteArrayOutputStream line = new ByteArrayOutputStream(128);
            line.write(first);
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                if (line.size() >= MAX_MESSAGE) {
                    throw new IOException("PMI-1 line longer than " + MAX_MESSAGE + " bytes");
                }
                line.write(b);
            }
            if (b < 0 && line.size() == 0) {
                return null;
            }
            return parseV1(line.toString(StandardCharsets.UTF_8));
        }
        byte[] header = new byte[6];
        header[0] = (byte) first;
        if (in.readNBytes(header, 1, 5) != 5) {
            throw new EOFException("truncated PMI-2 length header");
        }
        int length;
        try {
            length = Integer.parseInt(new String(header, StandardCharsets.US_ASCII).trim());
        } catch (NumberFormatException e) {
            throw new IOException("not a PMI message: starts with " + new String(header, StandardCharsets.US_ASCII));
        }
        if (length < 0 || length > MAX_MESSAGE) {
            throw new IOException("PMI-2 message length " + length + " out of range");
        }
        byte[] body = in.readNBytes(length);
        if (body.length != length) {
            throw new EOFException("truncated PMI-2 message");
        }
        return parseV2(new String(body, StandardCharsets.UTF_8));
    }

    static Message parseV1(String line) {
        Map<String, String> attrs = new LinkedHashMap<>();
        String cmd = null;
        String lastKey = null;
        int i = 0;
        int n = line.length();
        while (i < n) {
            while (i < n && line.charAt(i) == ' ') {
                i++;
            }
            if (i >= n) {
                break;
            }
            StringBuilder token = new StringBuilder();
            while (i < n && line.charAt(i) != ' ') {
                char c = line.charAt(i);
                if (c == '\\' && i + 1 < n) {
                    token.append(line.charAt(i + 1));
                    i += 2;
                } else {
                    token.append(c);
                    i++;
                }
            }
            String t = token.toString();
            int eq = t.indexOf('=');
            if (eq <= 0) {
                // An unescaped space inside a value (older clients' abort messages): glue it back on.
                if (lastKey != null) {
                    attrs.merge(lastKey, " " + t, String::concat);
                }
                continue;
            }
            String key = t.substring(0, eq);
            String value = t.substring(eq + 1);
            if (cmd == null && (key.equals("cmd") || key.equals("mcmd"))) {
                cmd = value;
            } else {
                attrs.put(key, value);
            }
            lastKey = key;
        }
        return new Message(Framing.V1, cmd == null ? "" : cmd, attrs, line);
    }

    static Message parseV2(String body) {
        Map<String, String> attrs = new LinkedHashMap<>();
        String cmd = null;
        for (String part : body.split(";")) {
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            String key = eq < 0 ? part : part.substring(0, eq);
            String value = eq < 0 ? "" : part.substring(eq + 1);
            if (cmd == null && key.equals("cmd")) {
                cmd = value;
            } else {
                attrs.put(key, value);
            }
        }
        return new Message(Framing.V2, cmd == null ? "" : cmd, attrs, body);
    }

    /** A PMI-1 line; values are written as they are (MPICH's own values carry no spaces). */
    static byte[] v1(String cmd, String... keyValues) {
        StringBuilder sb = new StringBuilder("cmd=").append(cmd);
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            sb.append(' ').append(keyValues[i]).append('=').append(keyValues[i + 1]);
        }
        return sb.append('\n').toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A PMI-2 frame: 6-character length, then {@code cmd=...;k=v;}. */
    static byte[] v2(String cmd, String... keyValues) {
        StringBuilder sb = new StringBuilder("cmd=").append(cmd).append(';');
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            sb.append(keyValues[i]).append('=').append(keyValues[i + 1]).append(';');
        }
        byte[] body = sb.toString().getBytes(StandardCharsets.UTF_8);
        byte[] header = String.format("%-6d", body.length).getBytes(StandardCharsets.US_ASCII);
        byte[] frame = new byte[6 + body.length];
        System.arraycopy(header, 0, frame, 0, 6);
        System.arraycopy(body, 0, frame, 6, body.length);
        return frame;
    }
}
