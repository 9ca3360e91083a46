package io.crossdial.cli;

import io.crossdial.lab.JsonLines;
import io.crossdial.core.crypto.Keys;
import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.crypto.PrivateKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code crossdial keygen --out FILE}: writes a new Ed25519 identity key and prints its peer ID. */
@Command(name = "keygen", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, description = "Write a new Ed25519 identity key (protobuf PrivateKey) and print its peer ID")
final class KeygenCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the key (mode 600)")
    Path out;

    @Option(names = "--json", description = "Print {\"event\":\"keygen\",\"peerId\":...,\"file\":...}")
    boolean json;

    @Override
    public Integer call() {
        PrivateKey key = Keys.generateEd25519();
        try {
            Files.write(out, key.marshal());
            try {
                Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system
            }
        } catch (IOException e) {
            throw new CliException("cannot write key file " + out + ": " + e.getMessage());
        }
        PeerId id = PeerId.fromPublicKey(key.publicKey());
        if (json) {
            System.out.println(JsonLines.line("event", "keygen", "peerId", id.toString(), "file", out.toString()));
        } else {
            System.out.println(id);
        }
        return 0;
    }
}
