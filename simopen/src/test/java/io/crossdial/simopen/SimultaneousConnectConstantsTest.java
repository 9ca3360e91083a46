package io.crossdial.simopen;

import static io.crossdial.simopen.SimopenTestSupport.INITIATOR_HEX;
import static io.crossdial.simopen.SimopenTestSupport.RESPONDER_HEX;
import static io.crossdial.simopen.SimopenTestSupport.SC_HEX;
import static io.crossdial.simopen.SimopenTestSupport.frameHex;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.crossdial.multistream.Message;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/** Pins the wire constants of simultaneous-open resolution and their exact framing. */
class SimultaneousConnectConstantsTest {

    private static String encoded(Message m) {
        ByteBuf buf = Unpooled.buffer();
        try {
            m.encode(buf);
            return ByteBufUtil.hexDump(buf);
        } finally {
            buf.release();
        }
    }

    @Test
    void pinsConstantValues() {
        assertEquals("/libp2p/simultaneous-connect", SimultaneousConnect.PROTOCOL_ID);
        assertEquals("select:", SimultaneousConnect.SELECT_PREFIX);
        assertEquals("initiator", SimultaneousConnect.INITIATOR);
        assertEquals("responder", SimultaneousConnect.RESPONDER);
        assertEquals(0x00, SimultaneousConnect.POISON_BYTE);
        assertEquals(8, SimultaneousConnect.MAX_SELECT_ROUNDS);
        assertEquals(4, SimultaneousConnect.MAX_DISCARDED_MESSAGES);
    }

    @Test
    void simultaneousConnectProposalIsFramedWithLength29() {
        assertEquals("1d2f6c69627032702f73696d756c74616e656f75732d636f6e6e6563740a", SC_HEX);
        assertEquals(SC_HEX, encoded(new Message.Protocol(SimultaneousConnect.PROTOCOL_ID)));
        assertEquals(SC_HEX, frameHex(SimultaneousConnect.PROTOCOL_ID));
    }

    @Test
    void selectOneIsNineBytesOfPayload() {
        assertEquals("0973656c6563743a310a", encoded(new Message.Other(SimultaneousConnect.SELECT_PREFIX + "1")));
    }

    @Test
    void selectOfTheLargestUnsigned64BitNumberIsTwentyDigits() {
        // "select:18446744073709551615" = 7 + 20 characters + newline = 28 = 0x1c
        assertEquals("1c73656c6563743a3138343436373434303733373039353531363135" + "0a",
                encoded(new Message.Other("select:" + Long.toUnsignedString(-1L))));
    }

    @Test
    void initiatorAndResponderAreTenBytesOfPayload() {
        assertEquals("0a696e69746961746f720a", INITIATOR_HEX);
        assertEquals("0a726573706f6e6465720a", RESPONDER_HEX);
        assertEquals(INITIATOR_HEX, encoded(new Message.Other(SimultaneousConnect.INITIATOR)));
        assertEquals(RESPONDER_HEX, encoded(new Message.Other(SimultaneousConnect.RESPONDER)));
    }

    @Test
    void roleAndSelectMessagesParseAsOtherAndTheProposalAsProtocol() {
        ByteBuf buf = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump("73656c6563743a310a"));
        try {
            assertEquals(new Message.Other("select:1"), Message.parse(buf));
        } finally {
            buf.release();
        }
        ByteBuf sc = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(SC_HEX.substring(2)));
        try {
            assertEquals(new Message.Protocol(SimultaneousConnect.PROTOCOL_ID), Message.parse(sc));
        } finally {
            sc.release();
        }
    }
}
