/**
 * Building blocks shared by stream muxers: {@link io.crossdial.muxer.AbstractMuxedStreamChannel}, the
 * Netty child channel every muxed stream is (its life a {@code StreamState}, its received data an {@code
 * InboundQueue}), {@link io.crossdial.muxer.AbstractMuxedSession}, what every session over a connection
 * does the same way (with its {@link io.crossdial.muxer.SessionState}), {@link
 * io.crossdial.muxer.DataFrameHolder}, the reference counting of data-carrying frames, and the muxer
 * exceptions.
 */
package io.crossdial.muxer;
