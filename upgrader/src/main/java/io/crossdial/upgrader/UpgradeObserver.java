package io.crossdial.upgrader;

/**
 * Sees each stage of one connection's upgrade end, for metrics. Called on the connection's event loop; must
 * not block and must not throw (an exception is logged and ignored).
 */
public interface UpgradeObserver {
    /** Observes nothing. */
    UpgradeObserver NONE = new UpgradeObserver() {
        @Override
        public void stageCompleted(UpgradeStage stage, long nanos) {}

        @Override
        public void stageFailed(UpgradeStage stage, long nanos, UpgradeException failure) {}
    };

    /**
     * A stage finished and the next one starts ({@link UpgradeStage#DONE} is reported once, when the muxer
     * session is installed, with the time of the whole upgrade).
     *
     * @param stage the stage that finished
     * @param nanos how long it took, ns (for {@code DONE}: from the start of the upgrade)
     */
    void stageCompleted(UpgradeStage stage, long nanos);

    /**
     * The upgrade failed in {@code stage}.
     *
     * @param stage the stage that failed
     * @param nanos how long the stage had run, ns
     * @param failure the upgrade's failure (its cause is the stage's own exception)
     */
    void stageFailed(UpgradeStage stage, long nanos, UpgradeException failure);
}
