package dev.sluice.pmi;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** A hand-written PMI client that speaks the raw wire, so tests see exactly what a rank would receive. */
final class WireClient implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    WireClient(String portSpec) throws IOException {
        int colon = portSpec.lastIndexOf(':');
        socket = new Socket();
        socket.connect(new InetSocketAddress(portSpec.substring(0, colon), Integer.parseInt(portSpec.substring(colon + 1))));
        socket.setSoTimeout(20_000); // a hung server fails the test instead of hanging the build
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    void sendLine(String line) throws IOException {
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    String readLine() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            buf.write(b);
        }
        if (b < 0 && buf.size() == 0) {
            return null;
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    String call(String line) throws IOException {
        sendLine(line);
        return readLine();
    }

    void sendFrame(String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        out.write(String.format("%-6d", bytes.length).getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
    }

    /** The body of the next PMI-2 frame (without the 6-character length). */
    String readFrame() throws IOException {
        byte[] header = in.readNBytes(6);
        if (header.length < 6) {
            return null;
        }
        int len = Integer.parseInt(new String(header, StandardCharsets.US_ASCII).trim());
        return new String(in.readNBytes(len), StandardCharsets.UTF_8);
    }

    Map<String, String> callFrame(String body) throws IOException {
        sendFrame(body);
        return parseFrame(readFrame());
    }

    static Map<String, String> parseFrame(String body) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String part : body.split(";")) {
            if (!part.isEmpty()) {
                int eq = part.indexOf('=');
                m.put(part.substring(0, eq), part.substring(eq + 1));
            }
        }
        return m;
    }

    static Map<String, String> parseLine(String line) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String part : line.trim().split(" ")) {
            int eq = part.indexOf('=');
            m.put(part.substring(0, eq), part.substring(eq + 1));
        }
        return m;
    }

    /** True when nothing arrives within {@code millis}: used to show a barrier is still holding its ranks. */
    boolean silentFor(int millis) throws IOException {
        socket.setSoTimeout(millis);
        try {
            in.read();
            return false;
        } catch (SocketTimeoutException expected) {
            return true;
        } finally {
            socket.setSoTimeout(20_000);
        }
    }

    /** Handshake of MPICH's PMI_PORT mode; returns the four reply lines. */
    String[] initack(int pmiid) throws IOException {
        sendLine("cmd=initack pmiid=" + pmiid);
        String first = readLine();
        if (!first.equals("cmd=initack")) {
            return new String[] {first};
        }
        return new String[] {first, readLine(), readLine(), readLine()};
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
