package dev.groupflow.verify;

import java.math.BigInteger;

/**
 * Arithmetic on {@link MathValue}s: exact while both sides are exact (each result checked against the
 * {@link MathBudget}), in doubles otherwise; a non-finite or undefined result (division by zero, an even root of
 * a negative number) is a {@link MathParser.NotANumber}.
 */
final class Arith {
    private Arith() {
    }

    static MathValue add(MathValue a, MathValue b, MathBudget budget) {
        if (a.isExact() && b.isExact()) {
            return MathValue.of(budget.check(a.exact().add(b.exact())));
        }
        return approx(a.approx() + b.approx());
    }

    static MathValue subtract(MathValue a, MathValue b, MathBudget budget) {
        return add(a, negate(b), budget);
    }

    static MathValue negate(MathValue a) {
        return a.isExact() ? MathValue.of(a.exact().negate()) : approx(-a.approx());
    }

    static MathValue multiply(MathValue a, MathValue b, MathBudget budget) {
        if (a.isExact() && b.isExact()) {
            return MathValue.of(budget.check(a.exact().multiply(b.exact())));
        }
        return approx(a.approx() * b.approx());
    }

    static MathValue divide(MathValue a, MathValue b, MathBudget budget) {
        if (b.isExact() ? b.exact().signum() == 0 : b.approx() == 0) {
            throw new MathParser.NotANumber("division by zero");
        }
        if (a.isExact() && b.isExact()) {
            return MathValue.of(budget.check(a.exact().divide(b.exact())));
        }
        return approx(a.approx() / b.approx());
    }

    /** The r-th root: exact for a perfect power, approximate otherwise. */
    static MathValue root(MathValue a, int r) {
        if (a.isExact()) {
            Rational exact = a.exact().root(r);
            if (exact != null) {
                return MathValue.of(exact);
            }
        }
        double x = a.approx();
        if (x < 0 && r % 2 == 0) {
            throw new MathParser.NotANumber("an even root of a negative number");
        }
        return approx(r == 2 ? Math.sqrt(x) : Math.signum(x) * Math.pow(Math.abs(x), 1.0 / r));
    }

    /** base^e: exact for an exact base and an integer exponent (or a perfect root for e = p/q), else doubles. */
    static MathValue power(MathValue base, MathValue e, MathBudget budget) {
        if (base.isExact() && e.isExact()) {
            Rational b = base.exact();
            Rational x = e.exact();
            BigInteger p = x.num();
            if (b.signum() == 0) {
                if (p.signum() < 0) {
                    throw new MathParser.NotANumber("division by zero (0 to a negative power)");
                }
                if (p.signum() == 0) {
                    throw new MathParser.NotANumber("0^0 is undefined");
                }
                return base;
            }
            if (b.num().abs().equals(BigInteger.ONE) && b.den().equals(BigInteger.ONE) && x.isInteger()) {
                return MathValue.of(b.signum() > 0 || !p.testBit(0) ? Rational.ONE : Rational.ONE.negate());
            }
            budget.checkPower(b, p);
            Rational raised = budget.check(b.pow(p.intValueExact()));
            if (x.isInteger()) {
                return MathValue.of(raised);
            }
            if (x.den().compareTo(BigInteger.valueOf(64)) <= 0) {
                return root(MathValue.of(raised), x.den().intValue());
            }
        }
        if (base.approx() < 0 && !(e.isExact() && e.exact().isInteger())) {
            throw new MathParser.NotANumber("a negative number to a fractional power");
        }
        return approx(Math.pow(base.approx(), e.approx()));
    }

    private static MathValue approx(double d) {
        if (!Double.isFinite(d)) {
            throw new MathParser.NotANumber("the value is not a finite number");
        }
        return MathValue.approximate(d);
    }
}
