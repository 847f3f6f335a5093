package dev.groupflow.jinja;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Conversion of Java and Jackson values into the template value model. */
class TemplateValuesTest {
    enum Role { USER }

    @Test
    void jsonTreesBecomeLongsDoublesAndOrderedMaps() throws Exception {
        Object v = TemplateValues.fromJson(new ObjectMapper().readTree(
                "{\"z\": 1, \"a\": [2.5, true, null, \"s\", 1e-5], \"m\": {}}"));
        assertEquals(List.of("z", "a", "m"), new ArrayList<>(((Map<?, ?>) v).keySet()));
        List<?> a = (List<?>) ((Map<?, ?>) v).get("a");
        assertEquals(2.5, a.get(0));
        assertEquals(true, a.get(1));
        assertNull(a.get(2));
        assertEquals(1L, ((Map<?, ?>) v).get("z"));
        assertEquals("{\"z\": 1, \"a\": [2.5, true, null, \"s\", 1e-05], \"m\": {}}",
                Template.compile("{{ v|tojson }}").render(Map.of("v", v)));
    }

    @Test
    void javaNumbersPrintLikePython() {
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("i", 3);
        vars.put("f", 1.5f);
        vars.put("d", 2.0);
        vars.put("b", new BigDecimal("0.1"));
        vars.put("n", new BigInteger("12"));
        vars.put("none", null);
        assertEquals("3 1.5 2.0 0.1 12 None 4",
                Template.compile("{{ i }} {{ f }} {{ d }} {{ b }} {{ n }} {{ none }} {{ i + 1 }}").render(vars));
    }

    @Test
    void collectionsArraysOptionalsAndEnumsConvert() {
        Object v = TemplateValues.fromJava(Map.of("list",
                new Object[] {1, Optional.of("x"), Optional.empty(), Role.USER}));
        assertEquals(Map.of("list", Arrays.asList(1L, "x", null, "USER")), v);
    }

    @Test
    void unsupportedAndCyclicValuesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> TemplateValues.fromJava(new Object()));
        Map<String, Object> cyclic = new HashMap<>();
        cyclic.put("self", cyclic);
        assertThrows(IllegalArgumentException.class, () -> TemplateValues.fromJava(cyclic));
        assertThrows(IllegalArgumentException.class,
                () -> TemplateValues.fromJava(new BigInteger("123456789012345678901234567890")));
    }
}
