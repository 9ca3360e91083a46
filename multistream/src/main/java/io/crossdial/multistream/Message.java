package io.crossdial.multistream;

import io.crossdial.core.varint.UnsignedVarint;
import io.crossdial.core.varint.VarintException;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One multistream-select 1.0 message: the meaning of a {@link MultistreamFrames frame}.
 *
 * <pre>
 * frame   = uvarint(L) text 0x0a        L = UTF-8 length of text + 1, at most 1024
 * header  = 13 "/multistream/1.0.0" 0a
 * na      = 03 "na" 0a                  ls = 03 "ls" 0a
 * proposal or echo: uvarint(L) "/protocol/id" 0a
 * ls response (one frame):
 *   uvarint(L) { uvarint(len(id) + 1) id 0a }* 0a
 *   e.g. ["/noise"]:  09 | 07 2f 6e 6f 69 73 65 0a | 0a
 * </pre>
 *
 * The {@code ls} response is the format rust-libp2p and go-multistream (before it dropped {@code ls}) use:
 * one outer frame whose payload is the concatenation of inner length-prefixed lines, one per protocol ID,
 * followed by the outer message's own newline. The older README format with a leading protocol count is not
 * produced nor accepted. A text message is parsed by {@link #parse}; because an {@code ls} response is only
 * recognisable by context, it is parsed by {@link #parseLsResponse}.
 *
 * <p>Text rules: UTF-8, no newline inside the text, encoded length + 1 at most
 * {@link MultistreamSelect#MAX_MESSAGE_BYTES}; a protocol ID starts with {@code '/'}. Texts that are none of
 * the header, {@code na}, {@code ls} or a protocol ID parse as {@link Other} (the simultaneous-open
 * extension's {@code select:<n>}, {@code initiator} and {@code responder} arrive this way).
 *
 * <p>All messages are immutable and thread-safe; {@code toString} reads like a protocol log line.
 */
public sealed interface Message
        permits Message.Header, Message.Protocol, Message.Na, Message.Ls, Message.LsResponse, Message.Other {

    /** The header message {@code /multistream/1.0.0}. */
    Header HEADER = new Header();
    /** The {@code na} message. */
    Na NA = new Na();
    /** The {@code ls} message. */
    Ls LS = new Ls();

    /**
     * Writes this message as one whole frame (length prefix included).
     *
     * @param out where to write; grows as needed
     */
    void encode(ByteBuf out);

    /**
     * Parses a frame's payload as a text message: {@link Header}, {@link Na}, {@link Ls}, {@link Protocol}
     * or {@link Other}. Reads all readable bytes of {@code payload}.
     *
     * @param payload a frame's payload as returned by {@link MultistreamFrames#readFrame}; not released
     * @return the message
     * @throws MultistreamException {@link MultistreamException.Reason#MALFORMED_MESSAGE} when the payload does
     *     not end with a newline, has a newline inside, or is not valid UTF-8
     */
    static Message parse(ByteBuf payload) {
        String text = readLine(payload, payload.readableBytes());
        switch (text) {
            case MultistreamSelect.PROTOCOL_ID:
                return HEADER;
            case MultistreamSelect.NA:
                return NA;
            case MultistreamSelect.LS:
                return LS;
            default:
                return text.startsWith("/") ? new Protocol(text) : new Other(text);
        }
    }

    /**
     * Parses a frame's payload as an {@code ls} response (see the class diagram). Reads all readable bytes
     * of {@code payload}.
     *
     * @param payload a frame's payload as returned by {@link MultistreamFrames#readFrame}; not released
     * @return the listed protocol IDs, in order
     * @throws MultistreamException {@link MultistreamException.Reason#MALFORMED_MESSAGE} for a bad inner
     *     length, a missing newline, invalid UTF-8 or an entry that is not a protocol ID
     */
    static LsResponse parseLsResponse(ByteBuf payload) {
        int end = payload.readerIndex() + payload.readableBytes();
        if (end == payload.readerIndex() || payload.getByte(end - 1) != '\n') {
            throw malformed("ls response does not end with a newline");
        }
        List<String> ids = new ArrayList<>();
        while (end - payload.readerIndex() > 1) {
            ByteBuf rest = payload.slice(payload.readerIndex(), end - 1 - payload.readerIndex());
            long length;
            try {
                length = UnsignedVarint.tryDecode(rest, rest.readableBytes());
            } catch (VarintException e) {
                throw new MultistreamException(MultistreamException.Reason.MALFORMED_MESSAGE,
                        "invalid ls response entry length: " + e.getMessage(), e);
            }
            if (length == UnsignedVarint.INCOMPLETE || length > rest.readableBytes()) {
                throw malformed("ls response entry is truncated");
            }
            String id = readLine(rest, (int) length);
            if (!id.startsWith("/")) {
                throw malformed("ls response entry is not a protocol ID: " + quote(id));
            }
            ids.add(id);
            payload.readerIndex(payload.readerIndex() + rest.readerIndex());
        }
        payload.skipBytes(1);
        return new LsResponse(ids);
    }

    /** The header line {@value MultistreamSelect#PROTOCOL_ID}, which both sides send first. */
    record Header() implements Message {
        @Override
        public void encode(ByteBuf out) {
            writeLine(out, MultistreamSelect.PROTOCOL_ID);
        }

        @Override
        public String toString() {
            return "header " + MultistreamSelect.PROTOCOL_ID;
        }
    }

    /**
     * A protocol ID: a dialer's proposal, or a listener's echo accepting it.
     *
     * @param id the protocol ID; starts with {@code '/'}, no newline, at most 1023 UTF-8 bytes
     */
    record Protocol(String id) implements Message {
        /** @throws MultistreamException ({@code MALFORMED_MESSAGE}) when {@code id} breaks the rules above */
        public Protocol {
            checkProtocolId(id);
        }

        @Override
        public void encode(ByteBuf out) {
            writeLine(out, id);
        }

        @Override
        public String toString() {
            return "protocol " + id;
        }
    }

    /** {@code na}: the listener does not support the proposed protocol. */
    record Na() implements Message {
        @Override
        public void encode(ByteBuf out) {
            writeLine(out, MultistreamSelect.NA);
        }

        @Override
        public String toString() {
            return "na";
        }
    }

    /** {@code ls}: asks the listener for its supported protocols. */
    record Ls() implements Message {
        @Override
        public void encode(ByteBuf out) {
            writeLine(out, MultistreamSelect.LS);
        }

        @Override
        public String toString() {
            return "ls";
        }
    }

    /**
     * The listener's answer to {@code ls}.
     *
     * @param protocols the supported protocol IDs, in order; each a valid {@link Protocol} ID, and the whole
     *     response at most {@link MultistreamSelect#MAX_MESSAGE_BYTES} (see {@link #fitting})
     */
    record LsResponse(List<String> protocols) implements Message {
        /** @throws MultistreamException ({@code MALFORMED_MESSAGE}) for an invalid ID or a response too long */
        public LsResponse {
            protocols = List.copyOf(protocols);
            protocols.forEach(Message::checkProtocolId);
            int size = payloadBytes(protocols);
            if (size > MultistreamSelect.MAX_MESSAGE_BYTES) {
                throw malformed("ls response of " + size + " bytes exceeds the limit of "
                        + MultistreamSelect.MAX_MESSAGE_BYTES + " bytes");
            }
        }

        /**
         * The longest prefix of {@code protocols} whose response fits in
         * {@link MultistreamSelect#MAX_MESSAGE_BYTES}; the rest is left out.
         *
         * @param protocols valid protocol IDs
         * @return a response listing as many of them as fit
         * @throws MultistreamException ({@code MALFORMED_MESSAGE}) for an invalid protocol ID
         */
        public static LsResponse fitting(List<String> protocols) {
            List<String> kept = new ArrayList<>();
            int size = 1;
            for (String id : protocols) {
                checkProtocolId(id);
                int entry = entryBytes(id);
                if (size + entry > MultistreamSelect.MAX_MESSAGE_BYTES) {
                    break;
                }
                size += entry;
                kept.add(id);
            }
            return new LsResponse(kept);
        }

        @Override
        public void encode(ByteBuf out) {
            UnsignedVarint.write(payloadBytes(protocols), out);
            for (String id : protocols) {
                byte[] utf8 = id.getBytes(StandardCharsets.UTF_8);
                UnsignedVarint.write(utf8.length + 1, out);
                out.writeBytes(utf8);
                out.writeByte('\n');
            }
            out.writeByte('\n');
        }

        @Override
        public String toString() {
            return "ls-response " + protocols;
        }

        private static int payloadBytes(List<String> protocols) {
            int size = 1;
            for (String id : protocols) {
                size += entryBytes(id);
            }
            return size;
        }

        private static int entryBytes(String id) {
            int line = id.getBytes(StandardCharsets.UTF_8).length + 1;
            return UnsignedVarint.encodedLength(line) + line;
        }
    }

    /**
     * Any other text line, for example the simultaneous-open extension's {@code select:<n>},
     * {@code initiator} and {@code responder}.
     *
     * @param text the line without its newline; no newline inside, at most 1023 UTF-8 bytes
     */
    record Other(String text) implements Message {
        /** @throws MultistreamException ({@code MALFORMED_MESSAGE}) when {@code text} breaks the rules above */
        public Other {
            checkText(text);
        }

        @Override
        public void encode(ByteBuf out) {
            writeLine(out, text);
        }

        @Override
        public String toString() {
            return "other " + quote(text);
        }
    }

    // ---- private helpers ----

    private static void writeLine(ByteBuf out, String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        UnsignedVarint.write(utf8.length + 1, out);
        out.writeBytes(utf8);
        out.writeByte('\n');
    }

    /** Reads {@code length} bytes that must end with a newline and decodes them, without it, as UTF-8. */
    private static String readLine(ByteBuf in, int length) {
        int start = in.readerIndex();
        if (length == 0 || in.getByte(start + length - 1) != '\n') {
            throw malformed("message does not end with a newline");
        }
        ByteBuffer bytes = in.nioBuffer(start, length - 1);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes)
                    .toString();
        } catch (CharacterCodingException e) {
            throw new MultistreamException(MultistreamException.Reason.MALFORMED_MESSAGE,
                    "message is not valid UTF-8", e);
        }
        if (text.indexOf('\n') >= 0) {
            throw malformed("message has a newline before its end: " + quote(text));
        }
        in.skipBytes(length);
        return text;
    }

    private static void checkText(String text) {
        Objects.requireNonNull(text, "text");
        if (text.indexOf('\n') >= 0) {
            throw malformed("message text contains a newline: " + quote(text));
        }
        int bytes = text.getBytes(StandardCharsets.UTF_8).length + 1;
        if (bytes > MultistreamSelect.MAX_MESSAGE_BYTES) {
            throw malformed("message of " + bytes + " bytes exceeds the limit of "
                    + MultistreamSelect.MAX_MESSAGE_BYTES + " bytes");
        }
    }

    private static void checkProtocolId(String id) {
        checkText(id);
        if (!id.startsWith("/")) {
            throw malformed("protocol ID does not start with '/': " + quote(id));
        }
    }

    private static MultistreamException malformed(String detail) {
        return new MultistreamException(MultistreamException.Reason.MALFORMED_MESSAGE, detail);
    }

    private static String quote(String text) {
        String shown = text.length() > 64 ? text.substring(0, 64) + "..." : text;
        StringBuilder sb = new StringBuilder("\"");
        shown.codePoints().forEach(cp -> {
            if (cp < 0x20 || cp == 0x7f) {
                sb.append(String.format("\\x%02x", cp));
            } else {
                sb.appendCodePoint(cp);
            }
        });
        return sb.append('"').toString();
    }
}
