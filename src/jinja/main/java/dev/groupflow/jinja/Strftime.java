package dev.groupflow.jinja;

import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.time.temporal.IsoFields;
import java.util.Locale;

/**
 * Python's {@code datetime.now().strftime(fmt)} on Linux (glibc, C locale) for a naive local
 * time: {@code %z} and {@code %Z} are empty, and glibc's {@code -} (no padding) and {@code _}
 * (space padding) flags are honoured, as in Llama 3's {@code strftime_now("%d %b %Y")}.
 */
final class Strftime {
    private Strftime() {}

    static String format(LocalDateTime t, String fmt) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%' || i + 1 >= fmt.length()) {
                sb.append(c);
                continue;
            }
            char flag = 0;
            char d = fmt.charAt(++i);
            if ((d == '-' || d == '_' || d == '0') && i + 1 < fmt.length()) {
                flag = d;
                d = fmt.charAt(++i);
            }
            String v = directive(t, d, flag);
            if (v == null) {
                sb.append('%');
                if (flag != 0) {
                    sb.append(flag);
                }
                sb.append(d);
            } else {
                sb.append(v);
            }
        }
        return sb.toString();
    }

    private static String num(long value, int width, char defaultPad, char flag) {
        String s = Long.toString(value);
        char pad = flag == '_' ? ' ' : flag == '0' ? '0' : defaultPad;
        if (flag == '-' || s.length() >= width) {
            return s;
        }
        return String.valueOf(pad).repeat(width - s.length()) + s;
    }

    private static String directive(LocalDateTime t, char d, char flag) {
        int hour12 = t.getHour() % 12 == 0 ? 12 : t.getHour() % 12;
        return switch (d) {
            case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
            case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
            case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
            case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
            case 'd' -> num(t.getDayOfMonth(), 2, '0', flag);
            case 'e' -> num(t.getDayOfMonth(), 2, ' ', flag);
            case 'm' -> num(t.getMonthValue(), 2, '0', flag);
            case 'y' -> num(t.getYear() % 100, 2, '0', flag);
            case 'Y' -> num(t.getYear(), 1, '0', flag);
            case 'C' -> num(t.getYear() / 100, 2, '0', flag);
            case 'H' -> num(t.getHour(), 2, '0', flag);
            case 'k' -> num(t.getHour(), 2, ' ', flag);
            case 'I' -> num(hour12, 2, '0', flag);
            case 'l' -> num(hour12, 2, ' ', flag);
            case 'M' -> num(t.getMinute(), 2, '0', flag);
            case 'S' -> num(t.getSecond(), 2, '0', flag);
            case 'f' -> num(t.getNano() / 1000, 6, '0', flag);
            case 'p' -> t.getHour() < 12 ? "AM" : "PM";
            case 'P' -> t.getHour() < 12 ? "am" : "pm";
            case 'j' -> num(t.getDayOfYear(), 3, '0', flag);
            case 'u' -> Integer.toString(t.getDayOfWeek().getValue());
            case 'w' -> Integer.toString(t.getDayOfWeek().getValue() % 7);
            case 'U' -> num((t.getDayOfYear() + 6 - (t.getDayOfWeek().getValue() % 7)) / 7, 2, '0', flag);
            case 'W' -> num((t.getDayOfYear() + 6 - ((t.getDayOfWeek().getValue() + 6) % 7)) / 7, 2, '0',
                    flag);
            case 'V' -> num(t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR), 2, '0', flag);
            case 'G' -> Integer.toString(t.get(IsoFields.WEEK_BASED_YEAR));
            case 'g' -> num(t.get(IsoFields.WEEK_BASED_YEAR) % 100, 2, '0', flag);
            case 'z', 'Z' -> "";
            case 'n' -> "\n";
            case 't' -> "\t";
            case '%' -> "%";
            case 'D', 'x' -> format(t, "%m/%d/%y");
            case 'F' -> format(t, "%Y-%m-%d");
            case 'T', 'X' -> format(t, "%H:%M:%S");
            case 'R' -> format(t, "%H:%M");
            case 'r' -> format(t, "%I:%M:%S %p");
            case 'c' -> format(t, "%a %b %e %H:%M:%S %Y");
            default -> null;
        };
    }
}
