package io.crossdial.host.dcutr;

import com.google.protobuf.ByteString;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.multiaddr.Multiaddr;
import java.util.List;

/** Lets the relay package's fuzz targets reach {@link Dcutr#dialable}. */
public final class DcutrFuzzAccess {
    private DcutrFuzzAccess() {}

    /** @return {@link Dcutr#dialable} of the arguments */
    public static List<Multiaddr> dialable(List<ByteString> raw, PeerId remote) {
        return Dcutr.dialable(raw, remote);
    }
}
