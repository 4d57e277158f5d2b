"""Fits the rational functions behind Tessera's float32 exact-GELU kernels.

Exact GELU is y = x/2 * (1 + erf(x/sqrt2)), and its derivative is
gelu'(x) = 1/2 + (erf(x/sqrt2)/2 + x*phi(x)), phi the standard normal density. Both bracketed
parts are odd, bounded functions that reach their limits (erf -> +-1, the bracket of the
derivative -> +-1/2) to within float32 rounding at |x| = 5.5 and 6. So each is approximated as

    f(x) ~ xc * P(xc^2) / Q(xc^2),  xc = clamp(x, -c, c),  Q(0) = 1,

which costs one clamp, two short polynomials (fused multiply-adds) and one division per element,
and no exp: the kernels built this way run about 2.5x faster than an erfc-and-exp formula.

The fit minimises the largest absolute error on [0, c] by Loeb's linearisation (solve
x*P - f*Q = 0 in least squares, weighted by 1/Q of the previous pass) with Lawson's reweighting
towards the minimax solution. It prints the coefficients as Java literals, the float64 fit error,
and the error of a float32 evaluation with fused multiply-adds (what the kernels see).

Run: python3 core/src/test/python/fit_gelu_rational.py   (needs numpy and scipy)
Results (2026-12-07): erf part: fit 1.4e-08, float32 3.1e-07; derivative part: fit 1.4e-07,
float32 2.9e-07 (absolute; float32's unit roundoff near 1 is 6e-8).
"""
import numpy as np
from scipy.special import erf


def fit(f, c, m, k, passes=200, points=6000):
    """Coefficients p (degree m in s = x^2) and q (degree k, q[0] = 1) and the fit's max error."""
    t = np.linspace(0, np.pi, points)
    x = np.unique(np.concatenate([c * (1 - np.cos(t)) / 2, np.linspace(0, c, points)]))
    s = x * x
    y = f(x)
    w = np.ones_like(x) / len(x)
    q_prev = np.ones_like(x)
    best = None
    for _ in range(passes):
        a = np.concatenate([np.stack([x * s ** j for j in range(m + 1)], 1),
                            np.stack([-y * s ** j for j in range(1, k + 1)], 1)], 1)
        scale = np.sqrt(w) / np.abs(q_prev)
        sol, *_ = np.linalg.lstsq(a * scale[:, None], y * scale, rcond=None)
        p = sol[:m + 1]
        q = np.concatenate([[1.0], sol[m + 1:]])
        q_prev = np.polyval(q[::-1], s)
        err = x * np.polyval(p[::-1], s) / q_prev - y
        e = np.max(np.abs(err))
        if np.min(q_prev) > 0 and (best is None or e < best[0]):  # only pole-free passes count
            best = (e, p.copy(), q.copy())
        w = w * (np.abs(err) + 1e-300)
        w = w / w.sum()
    return best


def f32(v):
    return np.asarray(v, dtype=np.float64).astype(np.float32).astype(np.float64)


def eval_f32(p, q, x, c):
    """The kernels' evaluation: float32 throughout, one rounding per fused multiply-add."""
    xc = f32(np.clip(f32(x), -c, c))
    s = f32(xc * xc)
    num = f32(p[-1])
    for a in p[-2::-1]:
        num = f32(num * s + f32(a))
    den = f32(q[-1])
    for a in q[-2::-1]:
        den = f32(den * s + f32(a))
    return f32(f32(xc * num) / den)


def report(name, f, c, m, k):
    e, p, q = fit(f, c, m, k)
    xs = np.linspace(-c - 1, c + 1, 800001)
    e32 = np.max(np.abs(eval_f32(p, q, xs, c) - f(xs)))
    print(f"{name}: clamp {c}, degrees ({m}, {k}) in x^2: fit {e:.2e}, float32 {e32:.2e}")
    print("  P = {" + ", ".join(f"{v:.17g}f" for v in p) + "}")
    print("  Q = {" + ", ".join(f"{v:.17g}f" for v in q) + "}")


if __name__ == "__main__":
    report("erf(x/sqrt2)", lambda x: erf(x / np.sqrt(2)), 5.5, 5, 5)
    report("erf(x/sqrt2)/2 + x*phi(x)",
           lambda x: 0.5 * erf(x / np.sqrt(2)) + x * np.exp(-x * x / 2) / np.sqrt(2 * np.pi), 6.0, 5, 5)
