package dev.sluice.contracts;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The CloudEvents {@code type} of an event record, versioned ({@code sluice.job.submitted.v1}).
 * A changed meaning gets a new version; a retired type is never reused.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface EventType {
    String value();
}
