package dev.sluice.scheduler.core;

import java.util.Comparator;

/** Node names in the order people expect: n2 before n10, the way hostlists count. */
final class NodeOrder {
    static final Comparator<String> NAMES = NodeOrder::compare;

    private NodeOrder() {
    }

    /** Compares without allocating: a scheduler pass looks nodes up by name many thousand times. */
    private static int compare(String a, String b) {
        int ia = digitsStart(a);
        int ib = digitsStart(b);
        int byPrefix = a.regionMatches(0, b, 0, Math.max(ia, ib)) && ia == ib ? 0
                : a.substring(0, ia).compareTo(b.substring(0, ib));
        if (byPrefix != 0 || ia == a.length() || ib == b.length()) {
            return byPrefix != 0 ? byPrefix : a.compareTo(b);
        }
        int za = ia;
        while (za < a.length() - 1 && a.charAt(za) == '0') {
            za++;
        }
        int zb = ib;
        while (zb < b.length() - 1 && b.charAt(zb) == '0') {
            zb++;
        }
        int la = a.length() - za;
        int lb = b.length() - zb;
        if (la != lb) {
            return Integer.compare(la, lb);
        }
        for (int k = 0; k < la; k++) {
            int d = Character.compare(a.charAt(za + k), b.charAt(zb + k));
            if (d != 0) {
                return d;
            }
        }
        return a.compareTo(b);
    }

    private static int digitsStart(String s) {
        int i = s.length();
        while (i > 0 && Character.isDigit(s.charAt(i - 1))) {
            i--;
        }
        return i;
    }
}
