package dev.groupflow.verify.code;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** Only lines signed with the run's key count as harness records. */
class SandboxRecordsTest {
    private static Mac mac(byte[] key) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac;
    }

    private static byte[] signed(String json, byte[] key) throws Exception {
        String tag = HexFormat.of().formatHex(mac(key).doFinal(json.getBytes(StandardCharsets.US_ASCII)));
        return (json + " " + tag).getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void acceptsOnlyLinesSignedWithTheKey() throws Exception {
        byte[] key = new byte[32];
        key[0] = 7;
        byte[] other = new byte[32];
        String json = "{\"k\":\"done\",\"n\":3}";
        assertNotNull(Sandbox.verify(signed(json, key), mac(key)));
        assertEquals(3, Sandbox.verify(signed(json, key), mac(key)).path("n").asInt());
        assertNull(Sandbox.verify(signed(json, other), mac(key)));
        byte[] good = signed(json, key);
        byte[] altered = new String(good, StandardCharsets.US_ASCII).replace("\"n\":3", "\"n\":1")
                .getBytes(StandardCharsets.US_ASCII);
        assertNull(Sandbox.verify(altered, mac(key)));
        assertNull(Sandbox.verify(json.getBytes(StandardCharsets.US_ASCII), mac(key)));
        assertNull(Sandbox.verify((json + " " + "0".repeat(64)).getBytes(StandardCharsets.US_ASCII), mac(key)));
        assertNull(Sandbox.verify((json + " " + "zz".repeat(32)).getBytes(StandardCharsets.US_ASCII), mac(key)));
        assertNull(Sandbox.verify(signed("[1,2]", key), mac(key))); // signed but not a record
    }
}
