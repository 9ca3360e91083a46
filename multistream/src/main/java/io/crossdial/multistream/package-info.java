/**
 * multistream-select 1.0: protocol negotiation on a connection or stream (libp2p/specs
 * {@code connections/README.md}, "Protocol Negotiation"; multiformats/multistream-select).
 *
 * <p>Entry points: {@link io.crossdial.multistream.MultistreamDialerHandler} and
 * {@link io.crossdial.multistream.MultistreamListenerHandler}, Netty handlers that negotiate, report the
 * agreed protocol ID to a {@link io.crossdial.multistream.NegotiationListener} (which installs the next
 * stage), remove themselves and hand over the bytes they already read. Failures are
 * {@link io.crossdial.multistream.MultistreamException}s. The codecs they are built on are public for
 * extensions such as simultaneous open: {@link io.crossdial.multistream.MultistreamFrames} (length-prefixed
 * framing and its 1024-byte limit) and {@link io.crossdial.multistream.Message} (what a frame means).
 */
package io.crossdial.multistream;
