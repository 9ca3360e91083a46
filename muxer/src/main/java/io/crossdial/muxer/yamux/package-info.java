/**
 * yamux ({@code /yamux/1.0.0}): {@link io.crossdial.muxer.yamux.YamuxStreamMuxer} with its {@link
 * io.crossdial.muxer.yamux.YamuxConfig} and {@link io.crossdial.muxer.yamux.YamuxException}; frames,
 * codec, session and streams are package-private.
 */
package io.crossdial.muxer.yamux;
