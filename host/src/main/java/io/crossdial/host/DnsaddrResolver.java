package io.crossdial.host;

import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.multiaddr.Component;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.multiaddr.MultiaddrException;
import io.crossdial.core.multiaddr.Protocol;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import javax.naming.Context;
import javax.naming.NameNotFoundException;
import javax.naming.NamingEnumeration;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.directory.Attributes;
import javax.naming.directory.DirContext;
import javax.naming.directory.InitialDirContext;

/**
 * Resolves {@code /dnsaddr/NAME[/p2p/PEER]} multiaddrs (multiformats/multiaddr {@code protocols/DNSADDR.md}):
 * the TXT records of {@code _dnsaddr.NAME} of the form {@code dnsaddr=<multiaddr>} are the peer's addresses;
 * with {@code /p2p/PEER} only records that end in that peer ID are kept; records that are {@code /dnsaddr}
 * themselves are resolved in turn, at most {@value #MAX_DEPTH} levels deep, and at most
 * {@value #MAX_ADDRS} addresses are returned (a record loop or a huge zone cannot run away). Records without
 * the {@code dnsaddr=} prefix or with an invalid multiaddr are skipped.
 *
 * <p>Blocking (DNS lookups); the host runs it off the event loops. Thread-safe if the lookup is.
 */
public final class DnsaddrResolver {
    /** How many /dnsaddr levels are followed. */
    public static final int MAX_DEPTH = 4;
    /** The most addresses one resolution returns. */
    public static final int MAX_ADDRS = 64;
    /** The TXT record prefix. */
    static final String PREFIX = "dnsaddr=";

    /** One DNS TXT lookup. */
    @FunctionalInterface
    public interface TxtLookup {
        /**
         * @param name a DNS name, e.g. {@code _dnsaddr.bootstrap.libp2p.io}
         * @return the TXT records' texts (each record's strings joined), empty when the name has none or does
         *     not exist
         * @throws IOException when the lookup itself failed (no answer, server failure)
         */
        List<String> txt(String name) throws IOException;
    }

    private final TxtLookup lookup;

    /** @param lookup how TXT records are fetched */
    public DnsaddrResolver(TxtLookup lookup) {
        this.lookup = lookup;
    }

    /** @return a resolver on the JDK's DNS provider (JNDI) with the system's name servers */
    public static DnsaddrResolver system() {
        return new DnsaddrResolver(jndi(null));
    }

    /**
     * @param server {@code HOST:PORT} of one name server, or null for the system's
     * @return a TXT lookup through JNDI's DNS provider ({@code com.sun.jndi.dns}), 2 s per try, 2 tries
     */
    public static TxtLookup jndi(String server) {
        return name -> {
            Hashtable<String, String> env = new Hashtable<>();
            env.put(Context.INITIAL_CONTEXT_FACTORY, "com.sun.jndi.dns.DnsContextFactory");
            env.put(Context.PROVIDER_URL, server == null ? "dns:" : "dns://" + server);
            env.put("com.sun.jndi.dns.timeout.initial", "2000");
            env.put("com.sun.jndi.dns.timeout.retries", "2");
            DirContext ctx = null;
            try {
                ctx = new InitialDirContext(env);
                Attributes attrs = ctx.getAttributes(name, new String[] {"TXT"});
                Attribute txt = attrs.get("TXT");
                List<String> out = new ArrayList<>();
                if (txt != null) {
                    NamingEnumeration<?> values = txt.getAll();
                    while (values.hasMore()) {
                        out.add(unquote(String.valueOf(values.next())));
                    }
                }
                return out;
            } catch (NameNotFoundException e) {
                return List.of();
            } catch (NamingException e) {
                throw new IOException("TXT lookup of " + name + " failed: " + e.getMessage(), e);
            } finally {
                if (ctx != null) {
                    try {
                        ctx.close();
                    } catch (NamingException e) {
                        // nothing held
                    }
                }
            }
        };
    }

    /** JNDI gives a TXT record of several strings as {@code "a" "b"}; one string may come quoted. */
    static String unquote(String s) {
        String t = s.trim();
        if (t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"")) {
            StringBuilder out = new StringBuilder();
            for (String part : t.substring(1, t.length() - 1).split("\" \"", -1)) {
                out.append(part);
            }
            return out.toString();
        }
        return t;
    }

    /**
     * @param addr a multiaddr; one that does not start with {@code /dnsaddr} is returned as it is
     * @return the addresses it stands for, in record order, without repeats
     * @throws IOException when a lookup failed
     */
    public List<Multiaddr> resolve(Multiaddr addr) throws IOException {
        List<Multiaddr> out = new ArrayList<>();
        resolve(addr, 0, out);
        return out;
    }

    private void resolve(Multiaddr addr, int depth, List<Multiaddr> out) throws IOException {
        List<Component> parts = addr.components();
        if (parts.isEmpty() || parts.get(0).protocol() != Protocol.DNSADDR) {
            if (!out.contains(addr) && out.size() < MAX_ADDRS) {
                out.add(addr);
            }
            return;
        }
        if (depth >= MAX_DEPTH) {
            return;
        }
        PeerId peer = addr.peerId();
        for (String record : lookup.txt("_dnsaddr." + parts.get(0).valueText())) {
            if (!record.startsWith(PREFIX)) {
                continue;
            }
            Multiaddr found;
            try {
                found = Multiaddr.fromString(record.substring(PREFIX.length()));
            } catch (MultiaddrException e) {
                continue;
            }
            if (peer != null && !peer.equals(found.peerId())) {
                continue;
            }
            resolve(found, depth + 1, out);
            if (out.size() >= MAX_ADDRS) {
                return;
            }
        }
    }
}
