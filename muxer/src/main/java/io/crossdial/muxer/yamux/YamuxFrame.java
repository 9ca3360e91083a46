package io.crossdial.muxer.yamux;

import io.crossdial.muxer.DataFrameHolder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * One yamux frame (libp2p/specs {@code yamux/README.md}, "Framing"). On the wire every frame starts with
 * a 12-byte big-endian header; only {@link Data} has a payload:
 *
 * <pre>
 * +---------+--------+-----------------+----------------------+----------------------+-----------
 * | Version | Type   | Flags           | StreamID             | Length               | payload
 * | 1 byte  | 1 byte | 2 bytes         | 4 bytes              | 4 bytes              | Data only:
 * | = 0     | 0..3   | SYN 1 ACK 2     | 0 = session,         | Data: payload bytes  | Length bytes
 * |         |        | FIN 4 RST 8     | odd client/even srv  | WindowUpdate: delta  |
 * |         |        |                 |                      | Ping: opaque value   |
 * |         |        |                 |                      | GoAway: error code   |
 * +---------+--------+-----------------+----------------------+----------------------+-----------
 * </pre>
 *
 * All unsigned 32-bit fields are held in {@code long}s. Flags exist only where the spec allows them:
 * SYN/ACK/FIN/RST on {@link Data} and {@link WindowUpdate}, SYN/ACK on {@link Ping}, none on {@link GoAway}
 * (whose StreamID is always 0). {@code toString()} reads like a protocol log line.
 */
sealed interface YamuxFrame permits YamuxFrame.Data, YamuxFrame.WindowUpdate, YamuxFrame.Ping, YamuxFrame.GoAway {
    /** The only protocol version. */
    int VERSION = 0;
    /** Header length in bytes. */
    int HEADER_BYTES = 12;

    int TYPE_DATA = 0;
    int TYPE_WINDOW_UPDATE = 1;
    int TYPE_PING = 2;
    int TYPE_GO_AWAY = 3;

    int FLAG_SYN = 1;
    int FLAG_ACK = 2;
    int FLAG_FIN = 4;
    int FLAG_RST = 8;
    /** Flags a Data or WindowUpdate frame may carry. */
    int STREAM_FLAGS = FLAG_SYN | FLAG_ACK | FLAG_FIN | FLAG_RST;
    /** Flags a Ping frame may carry. */
    int PING_FLAGS = FLAG_SYN | FLAG_ACK;

    /** Initial receive window of every stream, assumed by both sides (spec "Flow Control"). */
    int INITIAL_WINDOW_BYTES = 256 * 1024;
    /** The session's stream ID. */
    long SESSION_ID = 0;
    /** Largest unsigned 32-bit value. */
    long MAX_U32 = 0xFFFF_FFFFL;

    /** @return the wire type */
    int type();

    /** @return the StreamID field */
    long streamId();

    /** @return the Flags field */
    int flags();

    /** @return the Length field */
    long length();

    /** Data frame: {@code content} follows the header. A {@link DataFrameHolder}: the frame owns content. */
    record Data(long streamId, int flags, ByteBuf content) implements YamuxFrame, DataFrameHolder<Data> {
        /** Validates the fields. */
        public Data {
            checkU32("streamId", streamId);
            checkFlags(flags, STREAM_FLAGS);
            if (content == null) {
                throw new IllegalArgumentException("content is required");
            }
        }

        /** @return an empty Data frame carrying only flags */
        static Data empty(long streamId, int flags) {
            return new Data(streamId, flags, Unpooled.EMPTY_BUFFER);
        }

        @Override
        public int type() {
            return TYPE_DATA;
        }

        @Override
        public long length() {
            return content.readableBytes();
        }

        @Override
        public Data replace(ByteBuf newContent) {
            return new Data(streamId, flags, newContent);
        }

        @Override
        public String toString() {
            return "DATA stream=" + streamId + " flags=" + flagNames(flags) + " length=" + length();
        }
    }

    /** WindowUpdate frame: {@code delta} more bytes may be sent on the stream. */
    record WindowUpdate(long streamId, int flags, long delta) implements YamuxFrame {
        /** Validates the fields. */
        public WindowUpdate {
            checkU32("streamId", streamId);
            checkFlags(flags, STREAM_FLAGS);
            checkU32("delta", delta);
        }

        @Override
        public int type() {
            return TYPE_WINDOW_UPDATE;
        }

        @Override
        public long length() {
            return delta;
        }

        @Override
        public String toString() {
            return "WINDOW_UPDATE stream=" + streamId + " flags=" + flagNames(flags) + " delta=" + delta;
        }
    }

    /** Ping frame on the session: SYN asks, ACK answers with the same opaque value. */
    record Ping(int flags, long opaque) implements YamuxFrame {
        /** Validates the fields. */
        public Ping {
            checkFlags(flags, PING_FLAGS);
            checkU32("opaque", opaque);
        }

        @Override
        public int type() {
            return TYPE_PING;
        }

        @Override
        public long streamId() {
            return SESSION_ID;
        }

        @Override
        public long length() {
            return opaque;
        }

        @Override
        public String toString() {
            return "PING flags=" + flagNames(flags) + " opaque=" + opaque;
        }
    }

    /** GoAway frame on the session: no new streams; {@code code} 0 normal, 1 protocol, 2 internal error. */
    record GoAway(long code) implements YamuxFrame {
        /** Validates the fields. */
        public GoAway {
            checkU32("code", code);
        }

        @Override
        public int type() {
            return TYPE_GO_AWAY;
        }

        @Override
        public long streamId() {
            return SESSION_ID;
        }

        @Override
        public int flags() {
            return 0;
        }

        @Override
        public long length() {
            return code;
        }

        @Override
        public String toString() {
            String name = code == 0 ? "normal" : code == 1 ? "protocol error" : code == 2 ? "internal error" : "unknown";
            return "GO_AWAY code=" + code + " (" + name + ")";
        }
    }

    private static void checkU32(String name, long value) {
        if (value < 0 || value > MAX_U32) {
            throw new IllegalArgumentException(name + " out of unsigned 32-bit range: " + value);
        }
    }

    private static void checkFlags(int flags, int allowed) {
        if ((flags & ~allowed) != 0) {
            throw new IllegalArgumentException("flags 0x" + Integer.toHexString(flags) + " not allowed here");
        }
    }

    /** @return e.g. {@code SYN|FIN}, or {@code -} for none */
    static String flagNames(int flags) {
        if (flags == 0) {
            return "-";
        }
        StringBuilder b = new StringBuilder();
        String[] names = {"SYN", "ACK", "FIN", "RST"};
        for (int i = 0; i < names.length; i++) {
            if ((flags & (1 << i)) != 0) {
                b.append(b.length() == 0 ? "" : "|").append(names[i]);
            }
        }
        return b.toString();
    }
}
