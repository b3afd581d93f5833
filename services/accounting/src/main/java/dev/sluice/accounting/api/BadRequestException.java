package dev.sluice.accounting.api;

/** A request parameter the service cannot use; the message is shown to the caller as is. */
public class BadRequestException extends RuntimeException {
    public BadRequestException(String message) {
        super(message);
    }
}
