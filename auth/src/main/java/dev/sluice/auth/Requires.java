package dev.sluice.auth;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The least role a REST method (or every method of a class) needs when authentication is on. Methods without it
 * need {@link Role#USER}: with auth on, nothing is open unless marked {@link Public}.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface Requires {
    Role value();
}
