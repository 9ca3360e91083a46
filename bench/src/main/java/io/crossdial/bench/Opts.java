package io.crossdial.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/** Command-line options of the harness: {@code --name value} pairs, {@code --flag}, positionals as {@code _0..}. */
final class Opts {
    private Opts() {}

    static Map<String, String> parse(String[] args) {
        Map<String, String> out = new LinkedHashMap<>();
        int positional = 0;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.startsWith("--")) {
                String name = a.substring(2);
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    out.put(name.substring(0, eq), name.substring(eq + 1));
                } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                    out.put(name, args[++i]);
                } else {
                    out.put(name, "true");
                }
            } else {
                out.put("_" + positional++, a);
            }
        }
        return out;
    }
}
