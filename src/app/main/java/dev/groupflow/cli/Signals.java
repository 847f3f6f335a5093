package dev.groupflow.cli;

import sun.misc.Signal;

/**
 * SIGINT and SIGTERM as requests to stop cleanly: the handler runs once (the run then finishes its step, writes a
 * checkpoint and exits 0); a second signal exits at once with the usual status.
 */
final class Signals {
    private static volatile boolean requested;

    private Signals() {
    }

    static void onTerminate(Runnable action) {
        for (String name : new String[] {"INT", "TERM"}) {
            try {
                Signal.handle(new Signal(name), sig -> {
                    if (requested) {
                        Runtime.getRuntime().halt(128 + sig.getNumber());
                    }
                    requested = true;
                    System.err.println("groupflow: SIG" + name + ": finishing the current step and checkpointing "
                            + "(signal again to exit now)");
                    action.run();
                });
            } catch (IllegalArgumentException e) {
                // the signal is not available on this platform
            }
        }
    }
}
