package io.crossdial.host;

import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Bad local configuration fails at once, as IllegalArgumentException, before anything runs. */
class HostBuilderTest {
    @Test
    void rejectsAnInvalidProtocolIdAsBadConfiguration() {
        StreamHandlerFactory factory = connection -> null;
        assertThrows(IllegalArgumentException.class, () -> Host.builder().protocol("echo", factory));
        assertThrows(IllegalArgumentException.class, () -> Host.builder().protocol(null, factory));
        assertThrows(IllegalArgumentException.class, () -> Host.builder().protocol("/echo\n", factory));
        assertThrows(IllegalArgumentException.class,
                () -> Host.builder().protocol("/" + "x".repeat(1023), factory));
    }
}
