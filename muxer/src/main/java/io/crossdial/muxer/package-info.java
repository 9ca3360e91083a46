/**
 * Building blocks shared by stream muxers: {@link io.crossdial.muxer.AbstractMuxedStreamChannel}, the
 * Netty child channel every muxed stream is, and the muxer exceptions.
 */
package io.crossdial.muxer;
