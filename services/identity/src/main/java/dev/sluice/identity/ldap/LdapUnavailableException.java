package dev.sluice.identity.ldap;

/** The directory could not be read (unreachable, refused the bind, TLS failed, the base does not exist). */
public class LdapUnavailableException extends Exception {
    public LdapUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
