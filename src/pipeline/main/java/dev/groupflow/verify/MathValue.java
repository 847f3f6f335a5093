package dev.groupflow.verify;

/**
 * A number an answer denotes: exact (a {@link Rational}) when it is built from integers, decimals, fractions,
 * integer powers and perfect roots; approximate (a double) once an irrational part ({@code \sqrt{2}},
 * {@code \pi}) enters. Exact values are compared exactly; a comparison involving an approximate value uses a
 * relative tolerance.
 */
record MathValue(Rational exact, double approx) {

    static MathValue of(Rational r) {
        return new MathValue(r, r.toDouble());
    }

    static MathValue approximate(double d) {
        if (!Double.isFinite(d)) {
            throw new ArithmeticException("not a finite number");
        }
        return new MathValue(null, d);
    }

    boolean isExact() {
        return exact != null;
    }

    /**
     * Whether two values are equal: exactly when both are exact, else when they differ by at most {@code relTol}
     * times the larger magnitude (purely relative: an approximate value is never equal to a different one only
     * because both are small).
     */
    boolean equalTo(MathValue o, double relTol) {
        if (isExact() && o.isExact()) {
            return exact.equals(o.exact);
        }
        double a = approx;
        double b = o.approx;
        return a == b || Math.abs(a - b) <= relTol * Math.max(Math.abs(a), Math.abs(b));
    }

    @Override
    public String toString() {
        return isExact() ? exact.toString() : "≈" + approx;
    }
}
