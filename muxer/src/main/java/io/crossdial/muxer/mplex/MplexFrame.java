package io.crossdial.muxer.mplex;

import io.crossdial.muxer.DataFrameHolder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

/**
 * One mplex frame (libp2p/specs {@code mplex/README.md}, "Message format"):
 *
 * <pre>
 * +---------------------------------+-----------------+----------------------+
 * | header: uvarint                 | length: uvarint | data: length bytes   |
 * | streamId &lt;&lt; 3 | flag (3 bits)   | 0 .. 1 MiB      | NewStream: the name  |
 * +---------------------------------+-----------------+----------------------+
 *   flag 0 NewStream         1 MessageReceiver   2 MessageInitiator
 *        3 CloseReceiver     4 CloseInitiator    5 ResetReceiver     6 ResetInitiator   (7 unused)
 * </pre>
 *
 * Varints are multiformats unsigned varints (at most 9 bytes, minimal). The flag says who sends: the
 * side that opened the stream (the stream's <em>initiator</em>) sends the {@code *Initiator} flags, the
 * other side (the stream's <em>receiver</em>) the {@code *Receiver} flags. Each side numbers the streams it
 * opens itself, so the same stream ID can name two streams, one opened by each side; the flag tells them
 * apart. Close and Reset carry no data. {@code toString()} reads like a protocol log line, e.g. {@code
 * MessageInitiator stream=3 length=5}.
 */
sealed interface MplexFrame permits MplexFrame.NewStream, MplexFrame.Message, MplexFrame.Close, MplexFrame.Reset {
    int FLAG_NEW_STREAM = 0;
    int FLAG_MESSAGE_RECEIVER = 1;
    int FLAG_MESSAGE_INITIATOR = 2;
    int FLAG_CLOSE_RECEIVER = 3;
    int FLAG_CLOSE_INITIATOR = 4;
    int FLAG_RESET_RECEIVER = 5;
    int FLAG_RESET_INITIATOR = 6;
    /** Bits of the header holding the flag. */
    int FLAG_BITS = 3;
    /** Largest data segment accepted or sent, 1 MiB (go-mplex's limit, which the spec cites). */
    int MAX_MESSAGE_BYTES = 1024 * 1024;
    /** Largest stream ID: {@code id << 3 | flag} must fit an unsigned varint of 63 bits. */
    long MAX_STREAM_ID = Long.MAX_VALUE >>> FLAG_BITS;

    /** @return the stream ID */
    long streamId();

    /** @return true when sent by the stream's initiator (the side that opened it) */
    boolean fromInitiator();

    /** @return the 3-bit flag on the wire */
    int flag();

    /** @return the header varint value, {@code streamId << 3 | flag} */
    default long header() {
        return streamId() << FLAG_BITS | flag();
    }

    /** NewStream (flag 0), always from the initiator; {@code name} is informational (crossdial sends the ID). */
    record NewStream(long streamId, String name) implements MplexFrame {
        /** Validates the fields. */
        public NewStream {
            checkStreamId(streamId);
            if (name == null || ByteBufUtil.utf8Bytes(name) > MAX_MESSAGE_BYTES) {
                throw new IllegalArgumentException("name is required and at most " + MAX_MESSAGE_BYTES + " UTF-8 bytes");
            }
        }

        @Override
        public boolean fromInitiator() {
            return true;
        }

        @Override
        public int flag() {
            return FLAG_NEW_STREAM;
        }

        @Override
        public String toString() {
            String shown = name.length() > 64 ? name.substring(0, 64) + "..." : name;
            return "NewStream stream=" + streamId + " name=\"" + shown + "\"";
        }
    }

    /**
     * MessageInitiator (2) or MessageReceiver (1): stream data. A {@link DataFrameHolder}: the frame owns
     * {@code content}.
     */
    record Message(long streamId, boolean fromInitiator, ByteBuf content) implements MplexFrame, DataFrameHolder<Message> {
        /** Validates the fields. */
        public Message {
            checkStreamId(streamId);
            if (content == null || content.readableBytes() > MAX_MESSAGE_BYTES) {
                throw new IllegalArgumentException("content is required and at most " + MAX_MESSAGE_BYTES + " bytes");
            }
        }

        @Override
        public int flag() {
            return fromInitiator ? FLAG_MESSAGE_INITIATOR : FLAG_MESSAGE_RECEIVER;
        }

        @Override
        public Message replace(ByteBuf newContent) {
            return new Message(streamId, fromInitiator, newContent);
        }

        @Override
        public String toString() {
            return flagName(flag()) + " stream=" + streamId + " length=" + content.readableBytes();
        }
    }

    /** CloseInitiator (4) or CloseReceiver (3): the sender half-closes; it writes no more. */
    record Close(long streamId, boolean fromInitiator) implements MplexFrame {
        /** Validates the fields. */
        public Close {
            checkStreamId(streamId);
        }

        @Override
        public int flag() {
            return fromInitiator ? FLAG_CLOSE_INITIATOR : FLAG_CLOSE_RECEIVER;
        }

        @Override
        public String toString() {
            return flagName(flag()) + " stream=" + streamId;
        }
    }

    /** ResetInitiator (6) or ResetReceiver (5): the sender aborts the stream both ways. */
    record Reset(long streamId, boolean fromInitiator) implements MplexFrame {
        /** Validates the fields. */
        public Reset {
            checkStreamId(streamId);
        }

        @Override
        public int flag() {
            return fromInitiator ? FLAG_RESET_INITIATOR : FLAG_RESET_RECEIVER;
        }

        @Override
        public String toString() {
            return flagName(flag()) + " stream=" + streamId;
        }
    }

    /** @return the spec's name of {@code flag}, e.g. {@code CloseReceiver} */
    static String flagName(int flag) {
        return switch (flag) {
            case FLAG_NEW_STREAM -> "NewStream";
            case FLAG_MESSAGE_RECEIVER -> "MessageReceiver";
            case FLAG_MESSAGE_INITIATOR -> "MessageInitiator";
            case FLAG_CLOSE_RECEIVER -> "CloseReceiver";
            case FLAG_CLOSE_INITIATOR -> "CloseInitiator";
            case FLAG_RESET_RECEIVER -> "ResetReceiver";
            case FLAG_RESET_INITIATOR -> "ResetInitiator";
            default -> "Unknown(" + flag + ")";
        };
    }

    private static void checkStreamId(long streamId) {
        if (streamId < 0 || streamId > MAX_STREAM_ID) {
            throw new IllegalArgumentException("streamId out of range 0.." + MAX_STREAM_ID + ": " + streamId);
        }
    }
}
