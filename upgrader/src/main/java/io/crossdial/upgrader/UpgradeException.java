package io.crossdial.upgrader;

import io.crossdial.core.CrossdialException;

/**
 * A connection upgrade failed. The message reads {@code failed to <stage action>: <cause message>}; the
 * cause is the stage's own exception (a {@code MultistreamException}, {@code NoiseException}, ...) or the
 * I/O error. The connection has been closed when this is reported.
 */
public final class UpgradeException extends CrossdialException {
    private static final long serialVersionUID = 1L;

    private final UpgradeStage stage;

    /**
     * @param stage the stage that failed
     * @param detail what went wrong
     * @param cause the stage's exception, or null
     */
    public UpgradeException(UpgradeStage stage, String detail, Throwable cause) {
        super("failed to " + stage.action() + ": " + detail, cause);
        this.stage = stage;
    }

    /** @return the stage that failed */
    public UpgradeStage stage() {
        return stage;
    }
}
