package dev.groupflow.verify;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;

/**
 * An exact fraction num/den in lowest terms with den &gt; 0. Arithmetic never loses precision; callers bound the
 * size of what they build (see {@link MathBudget}).
 */
record Rational(BigInteger num, BigInteger den) {
    static final Rational ZERO = new Rational(BigInteger.ZERO, BigInteger.ONE);
    static final Rational ONE = new Rational(BigInteger.ONE, BigInteger.ONE);

    Rational {
        if (den.signum() == 0) {
            throw new ArithmeticException("division by zero");
        }
        if (den.signum() < 0) {
            num = num.negate();
            den = den.negate();
        }
        BigInteger g = num.gcd(den);
        if (!g.equals(BigInteger.ONE) && g.signum() != 0) {
            num = num.divide(g);
            den = den.divide(g);
        }
        if (num.signum() == 0) {
            den = BigInteger.ONE;
        }
    }

    static Rational of(long n) {
        return new Rational(BigInteger.valueOf(n), BigInteger.ONE);
    }

    /** An exact decimal literal such as "12.50" (digits and at most one point). */
    static Rational decimal(String literal) {
        BigDecimal d = new BigDecimal(literal);
        return d.scale() <= 0 ? new Rational(d.toBigIntegerExact(), BigInteger.ONE)
                : new Rational(d.unscaledValue(), BigInteger.TEN.pow(d.scale()));
    }

    Rational add(Rational o) {
        return new Rational(num.multiply(o.den).add(o.num.multiply(den)), den.multiply(o.den));
    }

    Rational negate() {
        return new Rational(num.negate(), den);
    }

    Rational multiply(Rational o) {
        return new Rational(num.multiply(o.num), den.multiply(o.den));
    }

    Rational divide(Rational o) {
        return new Rational(num.multiply(o.den), den.multiply(o.num));
    }

    /** this^e for an integer exponent (the caller has bounded the result's size). */
    Rational pow(int e) {
        Rational base = e < 0 ? new Rational(den, num) : this;
        int k = Math.abs(e);
        return new Rational(base.num.pow(k), base.den.pow(k));
    }

    boolean isInteger() {
        return den.equals(BigInteger.ONE);
    }

    int signum() {
        return num.signum();
    }

    /** Bits of numerator plus denominator: a measure of how big this value is to work with. */
    long bits() {
        return (long) num.bitLength() + den.bitLength();
    }

    /** The exact r-th root when there is one (r &gt;= 2), else null. */
    Rational root(int r) {
        if (num.signum() < 0 && r % 2 == 0) {
            return null;
        }
        BigInteger n = exactRoot(num.abs(), r);
        BigInteger d = exactRoot(den, r);
        if (n == null || d == null) {
            return null;
        }
        return new Rational(num.signum() < 0 ? n.negate() : n, d);
    }

    private static BigInteger exactRoot(BigInteger x, int r) {
        if (r == 2) {
            BigInteger s = x.sqrt();
            return s.multiply(s).equals(x) ? s : null;
        }
        // Newton from above on x >= 0; x is bounded by the caller's bit budget
        if (x.signum() == 0 || x.equals(BigInteger.ONE)) {
            return x;
        }
        BigInteger guess = BigInteger.ONE.shiftLeft(x.bitLength() / r + 1);
        BigInteger rr = BigInteger.valueOf(r);
        while (true) {
            BigInteger next = guess.multiply(rr.subtract(BigInteger.ONE)).add(x.divide(guess.pow(r - 1))).divide(rr);
            if (next.compareTo(guess) >= 0) {
                break;
            }
            guess = next;
        }
        return guess.pow(r).equals(x) ? guess : null;
    }

    double toDouble() {
        return new BigDecimal(num).divide(new BigDecimal(den), MathContext.DECIMAL64).doubleValue();
    }

    @Override
    public String toString() {
        return isInteger() ? num.toString() : num + "/" + den;
    }
}
