/**
 * Building blocks shared by stream muxers: {@link io.crossdial.muxer.AbstractMuxedStreamChannel}, the
 * Netty child channel every muxed stream is, {@link io.crossdial.muxer.SessionSupport}, the steps every
 * session takes the same way, {@link io.crossdial.muxer.DataFrameHolder}, the reference counting of
 * data-carrying frames, and the muxer exceptions.
 */
package io.crossdial.muxer;
