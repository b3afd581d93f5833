package dev.sluice.identity;
class Placeholder {}
