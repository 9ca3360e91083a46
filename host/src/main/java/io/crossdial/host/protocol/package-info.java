/**
 * The application protocols every libp2p peer expects, as Netty handlers for one stream channel on which
 * multistream-select has already agreed on the protocol (the handlers see only the protocol's bytes).
 *
 * <table>
 *   <caption>Protocols, the listener side to install, and the initiator side</caption>
 *   <tr><th>protocol ID</th><th>responder (listener of the stream)</th><th>initiator</th></tr>
 *   <tr><td>{@value io.crossdial.host.protocol.ProtocolIds#PING}</td><td>{@link PingResponder}</td>
 *       <td>{@link PingClient}</td></tr>
 *   <tr><td>{@value io.crossdial.host.protocol.ProtocolIds#IDENTIFY}</td><td>{@link IdentifyResponder}</td>
 *       <td>{@link IdentifyClient}</td></tr>
 *   <tr><td>{@value io.crossdial.host.protocol.ProtocolIds#ECHO}</td><td>{@link EchoResponder}</td>
 *       <td>{@link EchoClient}</td></tr>
 *   <tr><td>{@value io.crossdial.host.protocol.ProtocolIds#PERF}</td><td>{@link PerfResponder}</td>
 *       <td>{@link PerfClient}</td></tr>
 * </table>
 *
 * <p>Responders are added as the last handler of the stream's pipeline (one instance per stream); clients
 * add their own handler in their constructor and are then driven through {@code CompletableFuture}s, completed on
 * the stream's event loop, that fail with the protocol's exception itself. Half-close uses
 * {@code DuplexChannel.shutdownOutput()} when the channel is one (a muxed stream, a half-closable socket)
 * and {@code close()} otherwise; the remote's half-close arrives as {@code ChannelInputShutdownEvent}.
 * Every wait has a timeout, every read is bounded, and failures are subclasses of
 * {@link StreamProtocolException} carrying a {@link StreamProtocolException.Reason}.
 */
package io.crossdial.host.protocol;
