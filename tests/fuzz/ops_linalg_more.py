"""Fuzzer registry entries for the linalg_more family: pinv, pinverse, lstsq, matrix_rank, cond, the LU family
(lu_factor, lu_factor_ex, lu, lu_solve, torch.lu, torch.lu_solve, lu_unpack), eig/eigvals, inv_ex/solve_ex/
cholesky_ex, tensorinv/tensorsolve, vander, cross, householder_product, linalg.matrix_power/matrix_exp, and the
top-level legacy names (svd, qr, cholesky, cholesky_solve, cholesky_inverse, triangular_solve, ger, vdot, .mH, .H,
.adjoint).

Matrices are well conditioned: square ones are shifted by n I (``_wc``) or made positive-definite (``_spd``);
rectangular ones are drawn only when their singular values stay away from 0. LU inputs also keep each pivot's
choice clear (the largest |entry| of the column beats the next by 2 %), since at a near tie two LAPACKs may pick
different rows, both valid. eig's complex outputs are compared as |z|^2 = abs(z * conj(z)) (a real value, free of
each eigenvector's phase), drawn with eigenvalues at least 0.1 apart. cond with p in (fro, 1, -1, inf, -inf) runs
on detached values: torch 2.13's backward of those orders raises (it modifies linalg.inv_ex's output in place);
the op table checks our gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .ops import _spd, _square, _wc, float_arg, isf, reg, small

EXCLUDED_API: dict[str, str] = {}


def _rect(ctx: Any, lo: int = 2, hi: int = 3, smin: float = 0.3) -> Any:
    """A float (batched) matrix whose singular values are all >= smin (and finite)."""
    def ok(v: Any) -> bool:
        if not (lo <= len(v.shape) <= hi and 0 not in v.shape and max(v.shape[-2:]) <= 5 and small(v, 60)):
            return False
        a = ctx.value(v).astype(np.float64)
        return bool(np.isfinite(a).all() and np.abs(a).max() < 10 and np.linalg.svd(a, compute_uv=False).min() >= smin)

    return float_arg(ctx, "normal", ok, min_nd=lo, max_nd=hi)


def _pivots_clear(a: np.ndarray, margin: float = 0.02) -> bool:
    """Whether partial pivoting's choice is unambiguous at every step of every matrix."""
    for m in np.array(a, dtype=np.float64).reshape((-1,) + a.shape[-2:]):
        m = m.copy()
        for j in range(min(m.shape)):
            col = np.abs(m[j:, j])
            if col.size > 1:
                top = np.sort(col)[::-1]
                if top[0] - top[1] < margin * max(top[0], 1e-12):
                    return False
            p = j + int(np.argmax(col))
            m[[j, p]] = m[[p, j]]
            if m[j, j] == 0:
                return False
            m[j + 1:, j] /= m[j, j]
            m[j + 1:, j + 1:] -= np.outer(m[j + 1:, j], m[j, j + 1:])
    return True


# ---------------------------------------------------------------------- pinv, pinverse, lstsq, matrix_rank, cond
def _pinv_gen(ctx: Any) -> Any:
    fn = ctx.choice(["pinv", "pinverse", "pinverse_m", "matrix_rank", "cond", "cond_inv"])
    x = _rect(ctx)
    if x is None:
        return None
    p: dict = {"fn": fn}
    if fn == "cond":
        p["p"] = ctx.choice([None, 2, -2, "nuc"])
        if p["p"] == "nuc" and x.shape[-1] != x.shape[-2]:
            p["p"] = None
    if fn == "cond_inv":
        x = _square(ctx)
        if x is None:
            return None
        p["p"] = ctx.choice(["fro", 1, -1, float("inf"), float("-inf")])
    return [x], p


def _pinv_code(a: list, p: dict) -> str:
    x, fn = a[0], p["fn"]
    if fn == "pinv":
        return f"LA.pinv({x})"
    if fn == "pinverse":
        return f"M.pinverse({x})"
    if fn == "pinverse_m":
        return f"{x}.pinverse()"
    if fn == "matrix_rank":
        return f"LA.matrix_rank({x})"
    if fn == "cond_inv":
        return f"LA.cond({_wc(x)}.detach(), {p['p']!r})"
    return f"LA.cond({x}, {p['p']!r})"


reg("pinv_lstsq", "linalg", _pinv_gen, _pinv_code, multi=False)


def _lstsq_gen(ctx: Any) -> Any:
    x = _rect(ctx)
    if x is None:
        return None
    m = x.shape[-2]
    # gels assumes full column rank (m >= n); the drivers' rank and singular values are compared too
    driver = ctx.choice(["gelsy", "gelsd", "gels", "gelss"]) if m >= x.shape[-1] else ctx.choice(["gelsy", "gelsd"])
    k = ctx.choice([(m,), (m, 1), (m, 2)])
    return [x, ctx.fresh(x.shape[:-2] + k, "normal")], {"driver": driver}


reg("lstsq", "linalg", _lstsq_gen, lambda a, p: f"LA.lstsq({a[0]}, {a[1]}, driver={p['driver']!r})", multi=True)


# ---------------------------------------------------------------------- the LU family
def _lu_gen(ctx: Any) -> Any:
    fn = ctx.choice(["lu_factor", "lu_factor_ex", "lu", "lu_solve", "M.lu", "M.lu_solve", "lu_unpack", "lu_m",
                     "lu_solve_m"])
    square = fn in ("lu_solve", "M.lu_solve", "lu_solve_m")
    x = _square(ctx, cond=30.0) if square else _rect(ctx, smin=0.2)
    if x is None:
        return None
    a = ctx.value(x).astype(np.float64)
    if not _pivots_clear(a + a.shape[-1] * np.eye(a.shape[-1]) if square else a):
        return None
    p: dict = {"fn": fn}
    args = [x]
    if square:
        n = x.shape[-1]
        p.update(left=bool(ctx.rng.random() < 0.6), adj=bool(ctx.rng.random() < 0.4))
        if fn != "lu_solve":
            p.update(left=True, adj=False)
        k = int(ctx.rng.integers(1, 3))
        args.append(ctx.fresh(x.shape[:-2] + ((n, k) if p["left"] else (k, n)), "normal"))
    return args, p


def _lu_code(a: list, p: dict) -> str:
    x, fn = a[0], p["fn"]
    if fn == "lu_factor":
        return f"LA.lu_factor({x})"
    if fn == "lu_factor_ex":
        return f"LA.lu_factor_ex({x})"
    if fn == "lu":
        return f"LA.lu({x})"
    if fn == "M.lu":
        return f"M.lu({x}, get_infos=True)"
    if fn == "lu_m":
        return f"{x}.lu()"
    if fn == "lu_unpack":
        return f"M.lu_unpack(*LA.lu_factor({x}))"
    w = _wc(x)
    if fn == "lu_solve":
        return f"(LA.lu_solve(*LA.lu_factor({w}), {a[1]}, left={p['left']}, adjoint={p['adj']}),)"
    if fn == "M.lu_solve":
        return f"(M.lu_solve({a[1]}, *M.lu({w})),)"
    return f"({a[1]}.lu_solve(*{w}.lu()),)"


reg("lu_family", "linalg", _lu_gen, _lu_code, multi=True)


# ---------------------------------------------------------------------- eig, eigvals
def _eig_ok(ctx: Any, x: Any) -> bool:
    a = ctx.value(x).astype(np.float64)
    if a.size == 0 or not np.isfinite(a).all():
        return False
    w = np.linalg.eigvals(a)
    n = w.shape[-1]
    return n < 2 or bool((np.abs(w[..., :, None] - w[..., None, :]) + np.eye(n) * 1e9).min() >= 0.1)


def _eig_gen(ctx: Any) -> Any:
    x = _square(ctx, shift=False, cond=1e6)
    for _ in range(6):  # a few fresh draws when the eigenvalues are too close
        if x is not None and _eig_ok(ctx, x):
            break
        x = ctx.fresh(ctx.choice([(), (2,)]) + (int(ctx.rng.integers(1, 4)),) * 2, "normal")
    else:
        return None
    return [x], {"fn": ctx.choice(["eig", "eig", "eigvals"])}


def _eig_code(a: list, p: dict) -> str:
    # LAPACK's geev leaves the order of the eigenvalues to the implementation (numpy's OpenBLAS and torch's
    # differ, fuzz seed 217462): compare order-free summaries, |w|^2 sorted and, per row, the sum of |v|^2 over the
    # eigenvectors (columns)
    if p["fn"] == "eigvals":
        return f"((lambda w: (w * w.conj()).abs().sort(-1)[0])(LA.eigvals({a[0]})),)"
    return (f"(lambda w, v: ((w * w.conj()).abs().sort(-1)[0], (v * v.conj()).abs().sum(-1)))"
            f"(*LA.eig({a[0]}))")


reg("eig", "linalg", _eig_gen, _eig_code, multi=True)


# ---------------------------------------------------------------------- inv_ex, solve_ex, cholesky_ex
def _ex_gen(ctx: Any) -> Any:
    x = _square(ctx)
    if x is None:
        return None
    fn = ctx.choice(["inv_ex", "solve_ex", "cholesky_ex"])
    args = [x]
    if fn == "solve_ex":
        args.append(ctx.fresh(x.shape[:-1] + ((2,) if ctx.rng.random() < 0.5 else ()), "normal"))
    return args, {"fn": fn, "upper": bool(ctx.rng.random() < 0.4)}


def _ex_code(a: list, p: dict) -> str:
    if p["fn"] == "inv_ex":
        return f"LA.inv_ex({_wc(a[0])})"
    if p["fn"] == "solve_ex":
        return f"LA.solve_ex({_wc(a[0])}, {a[1]})"
    return f"LA.cholesky_ex({_spd(a[0])}, upper={p['upper']})"


reg("linalg_ex", "linalg", _ex_gen, _ex_code, multi=True)


# ---------------------------------------------------------------------- tensorinv, tensorsolve, vander, cross, hh
def _misc_gen(ctx: Any) -> Any:
    rng = ctx.rng
    fn = ctx.choice(["tensorinv", "tensorsolve", "vander", "cross", "householder", "matrix_power", "matrix_exp"])
    if fn in ("tensorinv", "tensorsolve"):
        x = ctx.fresh((6, 6) if rng.random() < 0.6 else (4, 4), "normal")
        shape = (2, 3, 6) if x.shape[0] == 6 else (2, 2, 4)
        args = [x] + ([ctx.fresh(shape[:2], "normal")] if fn == "tensorsolve" else [])
        return args, {"fn": fn, "shape": shape}
    if fn == "vander":
        x = float_arg(ctx, "normal", lambda v: 1 <= len(v.shape) <= 2 and 1 <= v.shape[-1] <= 4
                      and ctx.in_domain(v, lo=-3, hi=3), min_nd=1, max_nd=2)
        return None if x is None else ([x], {"fn": fn, "N": ctx.choice([None, 2, 3, 5])})
    if fn == "cross":
        x = float_arg(ctx, "normal", lambda v: len(v.shape) >= 1 and v.shape[-1] == 3, shape=ctx.choice([(3,), (2, 3)]))
        if x is None:
            return None
        y = ctx.fresh(tuple(1 if rng.random() < 0.3 else s for s in x.shape), "normal")
        return [x, y], {"fn": fn}
    if fn == "householder":
        m = int(rng.integers(1, 5))
        n = int(rng.integers(1, m + 1))
        k = int(rng.integers(1, n + 1))
        batch = ctx.choice([(), (2,)])
        return [ctx.fresh(batch + (m, n), "normal"), ctx.fresh(batch + (k,), "normal")], {"fn": fn}
    x = ctx.pick(lambda v: isf(v) and len(v.shape) >= 2 and v.shape[-1] == v.shape[-2] and small(v, 64))
    x = x or ctx.fresh(ctx.choice([(), (2,)]) + (3, 3), "normal")
    return [x], {"fn": fn, "k": int(rng.integers(-2, 4))}


def _misc_code(a: list, p: dict) -> str:
    fn = p["fn"]
    if fn == "tensorinv":
        return f"LA.tensorinv({_wc(a[0])}.reshape{p['shape']}, ind=2)"
    if fn == "tensorsolve":
        return f"LA.tensorsolve({_wc(a[0])}.reshape{p['shape']}, {a[1]})"
    if fn == "vander":
        return f"LA.vander({a[0]}, N={p['N']!r})"
    if fn == "cross":
        return f"LA.cross({a[0]}, {a[1]})"
    if fn == "householder":
        return f"LA.householder_product({a[0]}, {a[1]})"
    x = f"({a[0]} * 0.3 + M.eye({a[0]}.shape[-1], dtype={a[0]}.dtype))"
    return f"LA.matrix_power({x}, {p['k']})" if fn == "matrix_power" else f"LA.matrix_exp({x})"


reg("linalg_misc", "linalg", _misc_gen, _misc_code)


# ---------------------------------------------------------------------- top-level legacy names
def _legacy_gen(ctx: Any) -> Any:
    fn = ctx.choice(["cholesky", "cholesky_solve", "cholesky_inverse", "ger", "vdot", "mH", "H", "adjoint"])
    return _legacy_args(ctx, fn)


def _factor_legacy_gen(ctx: Any) -> Any:
    return _legacy_args(ctx, ctx.choice(["svd", "svd_m", "svd_nouv", "qr", "qr_m", "triangular_solve"]))


def _legacy_args(ctx: Any, fn: str) -> Any:
    rng = ctx.rng
    if fn in ("ger", "vdot"):
        n = int(rng.integers(1, 5))
        x = ctx.fresh((n,), "normal")
        y = ctx.fresh((n if fn == "vdot" else int(rng.integers(1, 5)),), "normal")
        return [x, y], {"fn": fn, "form": ctx.choice(["M", "method"])}
    if fn in ("mH", "H", "adjoint"):
        x = float_arg(ctx, "normal", lambda v: len(v.shape) == 2 if fn == "H" else len(v.shape) >= 2, min_nd=2,
                      max_nd=2 if fn == "H" else 3)
        return None if x is None else ([x], {"fn": fn})
    if fn in ("svd", "svd_m", "svd_nouv", "qr", "qr_m"):
        def ok(v: Any) -> bool:
            if fn.startswith("qr") and v.shape[-2] < v.shape[-1]:
                return False
            s = np.linalg.svd(ctx.value(v).astype(np.float64), compute_uv=False)
            # distinct singular values: the singular vectors' gradient is finite
            return not (fn.startswith("svd") and s.shape[-1] > 1 and np.diff(s, axis=-1).max() > -0.1)

        x = _rect(ctx)
        for _ in range(6):  # a few fresh draws: these conditions often fail on random matrices
            if x is not None and ok(x):
                break
            x = ctx.fresh(ctx.choice([(), (2,)]) + (int(rng.integers(2, 5)), int(rng.integers(1, 4))), "normal")
        else:
            return None
        # some=False only on square input: there it is the reduced form (full U or Q of a non-square input has
        # columns A does not determine; torch drops their cotangents, ours refuses, see the module doc)
        return [x], {"fn": fn, "some": bool(rng.random() < 0.5) if x.shape[-1] == x.shape[-2] else True}
    x = _square(ctx)
    if x is None:
        return None
    n = x.shape[-1]
    args = [x]
    if fn in ("cholesky_solve", "triangular_solve"):
        args.append(ctx.fresh(ctx.choice([x.shape[:-2], (2,) + x.shape[:-2]]) + (n, int(rng.integers(1, 3))),
                              "normal"))
    return args, {"fn": fn, "upper": bool(rng.random() < 0.5), "tr": bool(rng.random() < 0.4),
                  "unit": bool(rng.random() < 0.3), "form": ctx.choice(["M", "method"])}


def _legacy_code(a: list, p: dict) -> str:
    fn, x = p["fn"], a[0]
    meth = p.get("form") == "method"
    if fn in ("ger", "vdot"):
        return f"{x}.{fn}({a[1]})" if meth else f"M.{fn}({x}, {a[1]})"
    if fn in ("mH", "H"):
        return f"{x}.{fn} * 1"
    if fn == "adjoint":
        return f"{x}.adjoint() * 1"
    spd = _spd(x)
    if fn == "cholesky":
        return f"M.cholesky({spd}, upper={p['upper']})"
    lo = f"LA.cholesky({spd}, upper={p['upper']})"
    if fn == "cholesky_solve":
        return (f"{a[1]}.cholesky_solve({lo}, upper={p['upper']})" if meth else
                f"M.cholesky_solve({a[1]}, {lo}, upper={p['upper']})")
    return (f"{lo}.cholesky_inverse(upper={p['upper']})" if meth else
            f"M.cholesky_inverse({lo}, upper={p['upper']})")


def _factor_legacy_code(a: list, p: dict) -> str:
    # gauge-free outputs (singular vectors and Q's columns are defined up to sign; sign() is piecewise constant)
    fn, x = p["fn"], a[0]
    if fn == "svd_nouv":
        return f"(lambda u, s, v: (s, u + 1, v + 1))(*M.svd({x}, compute_uv=False))"
    if fn in ("svd", "svd_m"):
        call = f"{x}.svd(some={p['some']})" if fn == "svd_m" else f"M.svd({x}, some={p['some']})"
        return f"(lambda u, s, v: (s, u * u, v * v))(*{call})"
    if fn in ("qr", "qr_m"):
        call = f"{x}.qr(some={p['some']})" if fn == "qr_m" else f"M.qr({x}, some={p['some']})"
        return ("(lambda q, r: (q * r.diagonal(0, -2, -1).sign().unsqueeze(-2), "
                f"r * r.diagonal(0, -2, -1).sign().unsqueeze(-1)))(*{call})")
    kw = f"upper={p['upper']}, transpose={p['tr']}, unitriangular={p['unit']}"
    call = (f"{a[1]}.triangular_solve({_wc(x)}, {kw})" if p.get("form") == "method" else
            f"M.triangular_solve({a[1]}, {_wc(x)}, {kw})")
    return f"tuple({call})"


reg("linalg_legacy", "linalg", _legacy_gen, _legacy_code)
reg("linalg_legacy_factor", "linalg", _factor_legacy_gen, _factor_legacy_code, multi=True)
