package dev.sluice.scheduler.core;

import java.util.Comparator;

/** Node names in the order people expect: n2 before n10, the way hostlists count. */
final class NodeOrder {
    static final Comparator<String> NAMES = NodeOrder::compare;

    private NodeOrder() {
    }

    private static int compare(String a, String b) {
        int ia = digitsStart(a);
        int ib = digitsStart(b);
        int byPrefix = a.substring(0, ia).compareTo(b.substring(0, ib));
        if (byPrefix != 0 || ia == a.length() || ib == b.length()) {
            return byPrefix != 0 ? byPrefix : a.compareTo(b);
        }
        int byNumber = new java.math.BigInteger(a.substring(ia)).compareTo(new java.math.BigInteger(b.substring(ib)));
        return byNumber != 0 ? byNumber : a.compareTo(b);
    }

    private static int digitsStart(String s) {
        int i = s.length();
        while (i > 0 && Character.isDigit(s.charAt(i - 1))) {
            i--;
        }
        return i;
    }
}
