/**
 * mplex ({@code /mplex/6.7.0}, libp2p/specs {@code mplex/README.md}) as a {@link
 * io.crossdial.core.spi.StreamMuxer}: {@link io.crossdial.muxer.mplex.MplexStreamMuxer}, configured by
 * {@link io.crossdial.muxer.mplex.MplexConfig}, failing with {@link io.crossdial.muxer.mplex.MplexException}.
 */
package io.crossdial.muxer.mplex;
