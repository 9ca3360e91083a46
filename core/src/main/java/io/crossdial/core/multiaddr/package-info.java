/**
 * Multiaddrs (multiformats/multiaddr) for the protocols crossdial dials and listens on: ip4, ip6, tcp,
 * udp, dns, dns4, dns6 and p2p. Entry point: {@link io.crossdial.core.multiaddr.Multiaddr}.
 */
package io.crossdial.core.multiaddr;
