package io.crossdial.muxer;

/**
 * A muxed stream was aborted (yamux RST): by the remote, or locally with {@link
 * io.crossdial.core.spi.MuxedStream#reset()}. Writes that were still waiting fail with it, and a remote
 * reset fires it as {@code exceptionCaught} on the stream's pipeline just before the stream closes.
 */
public class StreamResetException extends MuxerException {
    private static final long serialVersionUID = 1L;

    private final long streamId;
    private final boolean byRemote;

    /**
     * @param streamId the stream ID on the wire
     * @param byRemote true when the remote reset the stream
     */
    public StreamResetException(long streamId, boolean byRemote) {
        super("stream " + streamId + (byRemote ? " was reset by the remote" : " was reset locally"));
        this.streamId = streamId;
        this.byRemote = byRemote;
    }

    /** @return the stream ID on the wire */
    public long streamId() {
        return streamId;
    }

    /** @return true when the remote reset the stream, false for a local reset */
    public boolean byRemote() {
        return byRemote;
    }
}
