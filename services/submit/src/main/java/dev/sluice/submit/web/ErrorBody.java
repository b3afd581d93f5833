package dev.sluice.submit.web;

public record ErrorBody(String error) {
}
