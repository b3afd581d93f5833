package dev.sluice.runner;

/** A service that dies at start-up, as a misconfigured one would. */
public final class FailingService {
    private FailingService() {
    }

    public static void main(String[] args) {
        System.out.println("cannot start: the fake node agent always fails");
        System.exit(3);
    }
}
