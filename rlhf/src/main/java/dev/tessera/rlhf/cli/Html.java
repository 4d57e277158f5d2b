package dev.tessera.rlhf.cli;

/** HTML escaping for report text (model samples are untrusted: they may contain any characters). */
public final class Html {
    private Html() {}

    /** Escapes &amp;, &lt;, &gt;, quotes, and replaces control characters other than \n and \t with U+FFFD. */
    public static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c < 0x20 && c != '\n' && c != '\t' ? '\uFFFD' : c);
            }
        }
        return sb.toString();
    }
}
