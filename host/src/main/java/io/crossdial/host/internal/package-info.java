/**
 * Implementation shared by the packages of the host module and not part of its API: applications use the
 * {@code CompletableFuture}s that {@code io.crossdial.host} and its subpackages return.
 */
package io.crossdial.host.internal;
