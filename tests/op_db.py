"""The op table (in the spirit of PyTorch's OpInfo): one row per differentiable op.

Each row names the op, how to call it in autograd_core, a numpy reference, the PyTorch call
(second oracle) and sample inputs (0-d, broadcasting, non-contiguous where they apply).
``tests/test_ops.py`` expands every row into forward / gradcheck / gradgradcheck / float32 /
PyTorch tests. Samples keep away from kinks (relu at 0, ties in max) so finite differences
are meaningful there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import autograd_core as ag


@dataclass
class Sample:
    args: tuple  # float arrays: these become tensors that require grad
    kwargs: dict = field(default_factory=dict)  # constants passed to op / ref / torch alike
    name: str = ""


@dataclass
class OpInfo:
    name: str
    op: Callable[..., Any]
    ref: Callable[..., Any]
    torch: Callable[..., Any] | None
    samples: Callable[[np.random.Generator], list[Sample]]
    gradgrad: bool = True
    float32_tol: float = 1e-4
    # the Function classes whose backward (or backward of backward) this row runs; every class of the
    # package is covered by some row (tests/test_ops.py checks each claim)
    covers: tuple[str, ...] = ()
    # elementwise unary ops the differential fuzzer draws (as x.name() and ag.name(x)): (input kind, domain),
    # kind "normal" | "pos" | "away" (|x| >= 0.2), domain e.g. dict(lo=0.05) for the values it may be fed
    fuzz: tuple[str, dict | None] | None = None


def _r(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape)


def _pos(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.uniform(0.5, 2.0, shape)


def _away(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Values with |x| in [0.2, 2]: no kink of relu/abs/sign nearby."""
    return rng.uniform(0.2, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def _uniq(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Distinct values spaced by at least 0.1 (no ties for max/min)."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.37 - n * 0.15 + rng.uniform(0, 0.05, n)).reshape(shape)


def _nc(a: np.ndarray) -> np.ndarray:
    """A non-contiguous array with the same values."""
    return np.asfortranarray(a) if a.ndim >= 2 else a[::-1].copy()[::-1]


def _unary_samples(gen: Callable) -> Callable:
    def samples(rng: np.random.Generator) -> list[Sample]:
        return [
            Sample((gen(rng, 3, 4),), name="2d"),
            Sample((gen(rng),), name="0d"),
            Sample((_nc(gen(rng, 4, 3)).T,), name="noncontig"),
        ]

    return samples


def _binary_samples(ga: Callable, gb: Callable) -> Callable:
    def samples(rng: np.random.Generator) -> list[Sample]:
        return [
            Sample((ga(rng, 3, 4), gb(rng, 3, 4)), name="same"),
            Sample((ga(rng, 3, 1), gb(rng, 1, 4)), name="broadcast_both"),
            Sample((ga(rng, 2, 3, 4), gb(rng, 4)), name="broadcast_rank"),
            Sample((ga(rng), gb(rng, 3)), name="0d_vs_1d"),
            Sample((_nc(ga(rng, 4, 3)).T, gb(rng, 3, 4)), name="noncontig"),
        ]

    return samples


def _reduce_samples(gen: Callable, dims: tuple = (None, 1, (0, 2), -1), zero_d: bool = True) -> Callable:
    def samples(rng: np.random.Generator) -> list[Sample]:
        out = []
        for d in dims:
            for keep in (False, True):
                out.append(Sample((gen(rng, 2, 3, 4),), {"dim": d, "keepdim": keep}, name=f"dim{d}_k{keep}"))
        if zero_d:
            out.append(Sample((gen(rng),), {"dim": None, "keepdim": False}, name="0d"))
        return out

    return samples


def _t():
    import torch

    return torch


OPS: list[OpInfo] = []


def op(name: str, **fields: Any) -> None:
    """Add a row: op=, ref=, torch=, samples= and the optional fields of OpInfo, by keyword."""
    OPS.append(OpInfo(name, **fields))


# Function classes whose every backward order no row can reach with finite differences: where they are tested.
COVERED_ELSEWHERE = {
    "Cast": "tests/test_engine.py::test_cast_keeps_gradient_dtype_and_second_order",
    "MaxPoolGather": "tests/test_kernels.py::test_maxpool_third_order",
    "BackwardHook": "tests/test_torch_api.py::test_module_backward_hooks_see_and_replace_gradients_as_pytorch",
}


# ---------------------------------------------------------------------- arithmetic
op("add", op=lambda a, b: a + b, ref=np.add, torch=lambda a, b: a + b, samples=_binary_samples(_r, _r), covers=("Add",))
op(
    "sub",
    op=lambda a, b: a - b,
    ref=np.subtract,
    torch=lambda a, b: a - b,
    samples=_binary_samples(_r, _r),
    covers=("Sub",),
)
op(
    "mul",
    op=lambda a, b: a * b,
    ref=np.multiply,
    torch=lambda a, b: a * b,
    samples=_binary_samples(_r, _r),
    covers=("Mul",),
)
op(
    "div",
    op=lambda a, b: a / b,
    ref=np.divide,
    torch=lambda a, b: a / b,
    samples=_binary_samples(_r, _away),
    covers=("Div",),
)
op(
    "pow",
    op=lambda a, b: a**b,
    ref=np.power,
    torch=lambda a, b: a**b,
    samples=_binary_samples(_pos, _r),
    covers=("Pow",),
)
op("add_scalar", op=lambda a: 2.5 + a, ref=lambda a: 2.5 + a, torch=lambda a: 2.5 + a, samples=_unary_samples(_r))
op("rsub_scalar", op=lambda a: 2.5 - a, ref=lambda a: 2.5 - a, torch=lambda a: 2.5 - a, samples=_unary_samples(_r))
op("mul_scalar", op=lambda a: a * -1.5, ref=lambda a: a * -1.5, torch=lambda a: a * -1.5, samples=_unary_samples(_r))
op("rdiv_scalar", op=lambda a: 2.0 / a, ref=lambda a: 2.0 / a, torch=lambda a: 2.0 / a, samples=_unary_samples(_away))
op(
    "pow_scalar",
    op=lambda a, p: a**p,
    ref=lambda a, p: a**p,
    torch=lambda a, p: a**p,
    samples=lambda rng: [Sample((_pos(rng, 3, 4),), {"p": p}, name=f"p{p}") for p in (2, 3.0, 0.5, -1.5, 0)],
)
op("rpow_scalar", op=lambda a: 2.0**a, ref=lambda a: 2.0**a, torch=lambda a: 2.0**a, samples=_unary_samples(_r))
op(
    "neg",
    op=lambda a: -a,
    ref=np.negative,
    torch=lambda a: -a,
    samples=_unary_samples(_r),
    covers=("Neg",),
    fuzz=("normal", None),
)
op(
    "sign",
    op=lambda a: a.sign(),
    ref=np.sign,
    torch=lambda a: a.sign(),
    samples=_unary_samples(_away),
    covers=("Sign",),
)


def _through_views(lib_mul: Callable) -> Callable:
    """y = a * 1, then in-place ops through two views of y (a transpose and a row of it), then y and
    a third view that was taken before the writes: the engine rewrites the base's and the views' history."""

    def f(a, b):
        y = a * 1
        stale = y[:, 0]  # taken before the writes: must see them
        t = y.t()
        t[0].mul_(b)
        lib_mul(y[1:], b[0])
        return y * 1, stale * 1

    return f


def _through_views_ref(a, b):
    y = a * 1
    y.T[0] *= b
    y[1:] *= b[0]
    return y, y[:, 0].copy()


op(
    "inplace_through_views",
    op=_through_views(lambda v, s: v.mul_(s)),
    ref=_through_views_ref,
    torch=_through_views(lambda v, s: v.mul_(s)),
    samples=lambda rng: [Sample((_r(rng, 3, 2), _r(rng, 3)), name="2d")],
    covers=("ViewWrite",),
)


def _remainder_samples(rng: np.random.Generator) -> list[Sample]:
    """a = b * (k + u) with u in [0.2, 0.8]: a / b keeps away from the integers where a % b jumps."""
    out = []
    for name, sa, sb in (("same", (3, 4), (3, 4)), ("broadcast_b", (3, 4), (4,)), ("0d", (), ())):
        b = _away(rng, *sb)
        a = np.broadcast_to(b, sa) * (rng.integers(-3, 3, sa) + rng.uniform(0.2, 0.8, sa))
        out.append(Sample((a, b), name=name))
    return out


op(
    "remainder",
    op=lambda a, b: a % b,
    ref=np.remainder,
    torch=lambda a, b: a % b,
    samples=_remainder_samples,
    covers=("Remainder",),
)
op(
    "div_floor",
    op=lambda a, b: a.div(b, rounding_mode="floor"),
    ref=np.floor_divide,
    torch=lambda a, b: a.div(b, rounding_mode="floor"),
    samples=_remainder_samples,
    covers=("DivRounded",),
)
op(
    "div_trunc",
    op=lambda a, b: a.div(b, rounding_mode="trunc"),
    ref=lambda a, b: np.trunc(a / b),
    torch=lambda a, b: a.div(b, rounding_mode="trunc"),
    samples=_remainder_samples,
)


def _mm_samples(rng: np.random.Generator) -> list[Sample]:
    return [
        Sample((_r(rng, 3, 4), _r(rng, 4, 5)), name="2d@2d"),
        Sample((_r(rng, 4), _r(rng, 4, 5)), name="1d@2d"),
        Sample((_r(rng, 3, 4), _r(rng, 4)), name="2d@1d"),
        Sample((_r(rng, 4), _r(rng, 4)), name="1d@1d"),
        Sample((_r(rng, 2, 3, 4), _r(rng, 4, 5)), name="batched@2d"),
        Sample((_r(rng, 2, 1, 3, 4), _r(rng, 3, 4, 2)), name="batch_broadcast"),
        Sample((_r(rng, 4), _r(rng, 2, 4, 3)), name="1d@batched"),
        Sample((_r(rng, 2, 3, 4), _r(rng, 4)), name="batched@1d"),
        Sample((_nc(_r(rng, 4, 3)).T, _nc(_r(rng, 4, 5))), name="noncontig"),
    ]


op("matmul", op=lambda a, b: a @ b, ref=np.matmul, torch=lambda a, b: a @ b, samples=_mm_samples, covers=("Matmul",))


def _linear_samples(rng: np.random.Generator) -> list[Sample]:
    return [
        Sample((_r(rng, 4, 3), _r(rng, 2, 3), _r(rng, 2)), name="2d_bias"),
        Sample((_r(rng, 2, 4, 3), _r(rng, 5, 3), _r(rng, 5)), name="3d_bias"),
        Sample((_r(rng, 3), _r(rng, 2, 3), _r(rng, 2)), name="1d_bias"),
        Sample((_nc(_r(rng, 3, 4)).T, _r(rng, 2, 3), _r(rng, 2)), name="noncontig"),
    ]


op(
    "linear",
    op=lambda x, w, b: ag.nn.functional.linear(x, w, b),
    ref=lambda x, w, b: x @ w.T + b,
    torch=lambda x, w, b: _t().nn.functional.linear(x, w, b),
    samples=_linear_samples,
    covers=("Linear",),
)
op(
    "linear_nobias",
    op=lambda x, w: ag.nn.functional.linear(x, w),
    ref=lambda x, w: x @ w.T,
    torch=lambda x, w: _t().nn.functional.linear(x, w),
    samples=lambda rng: [
        Sample((_r(rng, 4, 3), _r(rng, 2, 3)), name="2d"),
        Sample((_r(rng, 2, 4, 3), _r(rng, 5, 3)), name="3d"),
    ],
)


def _bce_ref(x, y):
    return -(y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log1p(-x), -100))


op(
    "binary_cross_entropy",
    op=lambda x, y: ag.ops.loss.binary_cross_entropy_elementwise(x, y),
    ref=_bce_ref,
    torch=lambda x, y: _t().nn.functional.binary_cross_entropy(x, y, reduction="none"),
    samples=lambda rng: [
        Sample((rng.uniform(0.05, 0.95, (3, 4)), rng.uniform(0, 1, (3, 4))), name="soft_targets"),
        Sample((rng.uniform(0.05, 0.95, (5,)), rng.uniform(0, 1, (5,))), name="1d"),
    ],
    covers=("BinaryCrossEntropy",),
)

# ---------------------------------------------------------------------- unary math
for _name, _gen in (
    ("exp", _r),
    ("log", _pos),
    ("log1p", _pos),
    ("expm1", _r),
    ("sqrt", _pos),
    ("sin", _r),
    ("cos", _r),
    ("tanh", _r),
    ("abs", _away),
):
    _np = {"abs": np.abs}.get(_name, getattr(np, _name, None))
    _fz = {"exp": ("normal", {"hi": 8.0}), "log": ("pos", {"lo": 0.05}), "log1p": ("pos", {"lo": -0.9}),
           "expm1": ("normal", {"hi": 8.0}), "sqrt": ("pos", {"lo": 0.05}), "abs": ("away", None)}
    op(
        _name,
        op=(lambda n: lambda a: getattr(a, n)())(_name),
        ref=_np,
        torch=(lambda n: lambda a: getattr(a, n)())(_name),
        samples=_unary_samples(_gen),
        covers=(_name.capitalize(),),
        fuzz=_fz.get(_name, ("normal", None)),
    )

op(
    "atan",
    op=lambda a: a.atan(),
    ref=np.arctan,
    torch=lambda a: a.atan(),
    samples=_unary_samples(lambda rng, *s: 2 * _r(rng, *s)),
    covers=("Atan",),
    fuzz=("normal", None),
)
op(
    "rsqrt",
    op=lambda a: a.rsqrt(),
    ref=lambda a: 1 / np.sqrt(a),
    torch=lambda a: a.rsqrt(),
    samples=_unary_samples(_pos),
    covers=("Rsqrt",),
    fuzz=("pos", {"lo": 0.05}),
)
op(
    "sigmoid",
    op=lambda a: a.sigmoid(),
    ref=lambda a: 1 / (1 + np.exp(-a)),
    torch=lambda a: a.sigmoid(),
    samples=_unary_samples(lambda rng, *s: 3 * _r(rng, *s)),
    covers=("Sigmoid",),
    fuzz=("normal", None),
)
op(
    "erf",
    op=lambda a: a.erf(),
    ref=lambda a: np.vectorize(__import__("math").erf)(a),
    torch=lambda a: a.erf(),
    samples=_unary_samples(lambda rng, *s: 1.5 * _r(rng, *s)),
    covers=("Erf",),
    fuzz=("normal", None),
)
op(
    "relu",
    op=lambda a: a.relu(),
    ref=lambda a: np.maximum(a, 0),
    torch=lambda a: a.relu(),
    samples=_unary_samples(_away),
    covers=("Relu",),
    fuzz=("away", None),
)
op(
    "leaky_relu",
    op=lambda a, s: ag.leaky_relu(a, s),
    ref=lambda a, s: np.where(a > 0, a, s * a),
    torch=lambda a, s: _t().nn.functional.leaky_relu(a, s),
    samples=lambda rng: [Sample((_away(rng, 3, 4),), {"s": s}, name=f"slope{s}") for s in (0.01, 0.2)],
    covers=("LeakyRelu",),
)
op(
    "elu",
    op=lambda a, alpha: ag.elu(a, alpha),
    ref=lambda a, alpha: np.where(a > 0, a, alpha * np.expm1(a)),
    torch=lambda a, alpha: _t().nn.functional.elu(a, alpha),
    samples=lambda rng: [Sample((_away(rng, 3, 4),), {"alpha": al}, name=f"alpha{al}") for al in (1.0, 0.5)],
    covers=("Elu",),
)
op(
    "softplus",
    op=lambda a, beta, th: ag.softplus(a, beta, th),
    ref=lambda a, beta, th: np.where(a * beta > th, a, np.log1p(np.exp(beta * a)) / beta),
    torch=lambda a, beta, th: _t().nn.functional.softplus(a, beta, th),
    samples=lambda rng: [
        Sample((_r(rng, 3, 4),), {"beta": 1.0, "th": 20.0}, name="default"),
        Sample((_away(rng, 3, 4),), {"beta": 2.0, "th": 1.0}, name="beta2_th1"),
    ],
    covers=("Softplus",),
)
op(
    "hardtanh",
    op=lambda a: ag.hardtanh(a),
    ref=lambda a: np.clip(a, -1, 1),
    torch=lambda a: _t().nn.functional.hardtanh(a),
    samples=_unary_samples(
        lambda rng, *s: np.where(
            rng.random(s) < 0.5, rng.uniform(-0.9, 0.9, s), rng.uniform(1.1, 2.0, s) * rng.choice([-1, 1], s)
        )
    ),
    covers=("Hardtanh",),
)
op(
    "clamp",
    op=lambda a, lo, hi: a.clamp(lo, hi),
    ref=lambda a, lo, hi: np.clip(a, lo, hi),
    torch=lambda a, lo, hi: a.clamp(lo, hi),
    samples=lambda rng: [
        Sample((_uniq(rng, 3, 4) + 0.01,), {"lo": -0.5, "hi": 0.8}, name="both"),
        Sample((_uniq(rng, 3, 4) + 0.01,), {"lo": -0.5, "hi": None}, name="min_only"),
    ],
    covers=("Clamp",),
)
op(
    "maximum",
    op=ag.maximum,
    ref=np.maximum,
    torch=lambda a, b: _t().maximum(a, b),
    samples=_binary_samples(_r, lambda rng, *s: _r(rng, *s) + 0.05),
    covers=("Maximum",),
)
op(
    "minimum",
    op=ag.minimum,
    ref=np.minimum,
    torch=lambda a, b: _t().minimum(a, b),
    samples=_binary_samples(_r, lambda rng, *s: _r(rng, *s) + 0.05),
    covers=("Minimum",),
)
op(
    "where",
    op=lambda a, b, cond: ag.where(ag.tensor(cond), a, b),
    ref=lambda a, b, cond: np.where(cond, a, b),
    torch=lambda a, b, cond: _t().where(_t().tensor(cond), a, b),
    samples=lambda rng: [
        Sample((_r(rng, 3, 4), _r(rng, 3, 4)), {"cond": rng.random((3, 4)) < 0.5}, name="same"),
        Sample((_r(rng, 3, 1), _r(rng, 4)), {"cond": rng.random((3, 4)) < 0.5}, name="broadcast"),
    ],
    covers=("Where",),
)

# ---------------------------------------------------------------------- reductions


def _red(
    name: str, npf: Callable, gen: Callable = _r, dims: tuple = (None, 1, (0, 2), -1), zero_d: bool = True, **kw: Any
) -> None:
    def ours(a, dim, keepdim):
        return getattr(a, name)(dim=dim, keepdim=keepdim)

    def ref(a, dim, keepdim):
        return npf(a, axis=dim, keepdims=keepdim)

    def th(a, dim, keepdim):
        if dim is None:
            r = getattr(a, name)()
            return r.reshape((1,) * a.ndim) if keepdim else r
        return getattr(a, name)(dim=dim, keepdim=keepdim)

    op(name, op=ours, ref=ref, torch=th, samples=_reduce_samples(gen, dims, zero_d), **kw)


_red("sum", np.sum, covers=("Sum",))
_red("mean", np.mean, covers=("Mean",))
_red("amax", np.max, _uniq, covers=("Amax",))
_red("amin", np.min, _uniq, covers=("Amin",))
_red(
    "logsumexp",
    lambda a, axis, keepdims: np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims)),
    dims=(1, (0, 2), -1),
    zero_d=False,
    covers=("LogSumExp",),
)
_red("prod", np.prod, dims=(None, 1, -1), covers=("Prod",))
op(
    "prod_with_zeros",
    op=lambda a, dim: a.prod(dim),
    ref=lambda a, dim: np.prod(a, axis=dim),
    torch=lambda a, dim: a.prod() if dim is None else a.prod(dim),
    samples=lambda rng: [
        Sample((np.array([[1.5, 0.0, -2.0], [0.5, 0.7, 1.2]]),), {"dim": 1}, name="one_zero"),
        Sample((np.array([[0.0, 0.0, -2.0], [0.5, 0.0, 1.2]]),), {"dim": 1}, name="two_zeros"),
        Sample((np.array([[1.5, 0.0], [-2.0, 3.0]]),), {"dim": None}, name="all"),
    ],
)
op(
    "var",
    op=lambda a, dim, c, keepdim: a.var(dim, correction=c, keepdim=keepdim),
    ref=lambda a, dim, c, keepdim: np.var(a, axis=dim, ddof=c, keepdims=keepdim),
    torch=lambda a, dim, c, keepdim: a.var(dim, correction=c, keepdim=keepdim),
    samples=lambda rng: [
        Sample((_r(rng, 3, 4),), {"dim": d, "c": c, "keepdim": k}, name=f"d{d}c{c}k{k}")
        for d in (None, 1, (0, 1))
        for c in (0, 1)
        for k in (False, True)
    ],
    covers=("Var",),
)
op(
    "std",
    op=lambda a, dim, c: a.std(dim, correction=c),
    ref=lambda a, dim, c: np.std(a, axis=dim, ddof=c),
    torch=lambda a, dim, c: a.std(dim, correction=c),
    samples=lambda rng: [
        Sample((_r(rng, 3, 4),), {"dim": d, "c": c}, name=f"d{d}c{c}") for d in (None, 0, -1) for c in (0, 1)
    ],
    covers=("Std",),
)
op("max_full", op=lambda a: a.max(), ref=np.max, torch=lambda a: a.max(), samples=_unary_samples(_uniq))
op("min_full", op=lambda a: a.min(), ref=np.min, torch=lambda a: a.min(), samples=_unary_samples(_uniq))
op(
    "max_dim",
    op=lambda a, d, k: a.max(d, keepdim=k).values,
    ref=lambda a, d, k: np.max(a, axis=d, keepdims=k),
    torch=lambda a, d, k: a.max(d, keepdim=k).values,
    samples=lambda rng: [
        Sample((_uniq(rng, 3, 4, 2),), {"d": d, "k": k}, name=f"d{d}k{k}") for d in (0, 1, -1) for k in (False, True)
    ],
)
op(
    "min_dim",
    op=lambda a, d: a.min(d).values,
    ref=lambda a, d: np.min(a, axis=d),
    torch=lambda a, d: a.min(d).values,
    samples=lambda rng: [Sample((_uniq(rng, 3, 4),), {"d": d}, name=f"d{d}") for d in (0, 1)],
)
op(
    "norm",
    op=lambda a, p, dim: a.norm(p, dim),
    ref=lambda a, p, dim: _np_norm(a, p, dim),
    torch=lambda a, p, dim: a.norm(p, dim),
    samples=lambda rng: (
        [Sample((_away(rng, 3, 4),), {"p": p, "dim": d}, name=f"p{p}d{d}") for p in (2, 3, 1, "fro") for d in (None, 1)]
        + [Sample((_uniq(rng, 3, 4),), {"p": float("inf"), "dim": 1}, name="pinf")]
        + [Sample((_uniq(rng, 3, 4),), {"p": float("-inf"), "dim": None}, name="pminf")]
        + [Sample((_away(rng, 3, 4),), {"p": 0.5, "dim": 1}, name="p0.5")]
    ),
    covers=("Norm", "InfNorm"),
)
op(
    # the 0-"norm" counts nonzeros and has no gradient (PyTorch leaves x.grad unset): times a sum, so that the
    # row's gradient checks run through it
    "norm_p0",
    op=lambda a, dim: a.norm(0, dim) * a.sum(dim),
    ref=lambda a, dim: np.count_nonzero(a, axis=dim).astype(a.dtype) * np.sum(a, axis=dim),
    torch=lambda a, dim: a.norm(0, dim) * a.sum(dim),
    # no zeros: a finite difference across 0 would change the count (tests/test_fidelity_core.py has zeros)
    samples=lambda rng: [Sample((_away(rng, 3, 4),), {"dim": d}, name=f"d{d}") for d in (None, 1)],
    covers=("CountNonzero",),
)
op(
    "cumsum",
    op=lambda a, d: a.cumsum(d),
    ref=lambda a, d: np.cumsum(a, axis=d),
    torch=lambda a, d: a.cumsum(d),
    samples=lambda rng: [Sample((_r(rng, 3, 4),), {"d": d}, name=f"d{d}") for d in (0, 1, -1)],
    covers=("CumSum",),
)
op(
    "softmax",
    op=lambda a, d: a.softmax(d),
    ref=lambda a, d: _np_softmax(a, d),
    torch=lambda a, d: a.softmax(d),
    samples=lambda rng: [Sample((_r(rng, 3, 4),), {"d": d}, name=f"d{d}") for d in (0, 1, -1)],
    covers=("Softmax",),
)
op(
    "log_softmax",
    op=lambda a, d: a.log_softmax(d),
    ref=lambda a, d: np.log(_np_softmax(a, d)),
    torch=lambda a, d: a.log_softmax(d),
    samples=lambda rng: [Sample((_r(rng, 3, 4),), {"d": d}, name=f"d{d}") for d in (0, 1, -1)],
    covers=("LogSoftmax",),
)


def _np_softmax(a: np.ndarray, d: int) -> np.ndarray:
    e = np.exp(a - a.max(axis=d, keepdims=True))
    return e / e.sum(axis=d, keepdims=True)


def _np_norm(a: np.ndarray, p: Any, dim: Any) -> np.ndarray:
    p = 2 if p == "fro" else p
    if p == float("inf"):
        return np.max(np.abs(a), axis=dim)
    if p == float("-inf"):
        return np.min(np.abs(a), axis=dim)
    return np.sum(np.abs(a) ** p, axis=dim) ** (1 / p)


# ---------------------------------------------------------------------- shape ops
op(
    "reshape",
    op=lambda a, s: a.reshape(s),
    ref=lambda a, s: np.reshape(a, s),
    torch=lambda a, s: a.reshape(s),
    samples=lambda rng: [
        Sample((_r(rng, 3, 4),), {"s": (2, 6)}),
        Sample((_r(rng, 3, 4),), {"s": (-1,)}),
        Sample((_nc(_r(rng, 4, 3)).T,), {"s": (6, 2)}, name="noncontig"),
        Sample((_r(rng),), {"s": (1, 1)}, name="0d"),
    ],
    covers=("Reshape",),
)
op(
    "view",
    op=lambda a: a.view(4, 3),
    ref=lambda a: a.reshape(4, 3),
    torch=lambda a: a.reshape(4, 3),
    samples=lambda rng: [Sample((_r(rng, 3, 4),))],
)
op(
    "flatten",
    op=lambda a, s, e: a.flatten(s, e),
    ref=lambda a, s, e: _np_flatten(a, s, e),
    torch=lambda a, s, e: a.flatten(s, e),
    samples=lambda rng: [
        Sample((_r(rng, 2, 3, 4),), {"s": s, "e": e}, name=f"{s}{e}") for s, e in ((0, -1), (1, 2), (0, 1))
    ],
)
op(
    "squeeze",
    op=lambda a, d: a.squeeze(d),
    ref=lambda a, d: np.squeeze(a, d) if d is None or a.shape[d] == 1 else a,
    torch=lambda a, d: a.squeeze() if d is None else a.squeeze(d),
    samples=lambda rng: [Sample((_r(rng, 3, 1, 4, 1),), {"d": d}, name=f"d{d}") for d in (None, 1, -1, 0)],
)
op(
    "unsqueeze",
    op=lambda a, d: a.unsqueeze(d),
    ref=lambda a, d: np.expand_dims(a, d),
    torch=lambda a, d: a.unsqueeze(d),
    samples=lambda rng: (
        [Sample((_r(rng, 3, 4),), {"d": d}, name=f"d{d}") for d in (0, 1, 2, -1)]
        + [Sample((_r(rng),), {"d": 0}, name="0d")]
    ),
)
op(
    "transpose",
    op=lambda a, i, j: a.transpose(i, j),
    ref=lambda a, i, j: np.swapaxes(a, i, j),
    torch=lambda a, i, j: a.transpose(i, j),
    samples=lambda rng: [
        Sample((_r(rng, 2, 3, 4),), {"i": i, "j": j}, name=f"{i}{j}") for i, j in ((0, 1), (0, -1), (1, 2))
    ],
)
op(
    "permute",
    op=lambda a, p: a.permute(*p),
    ref=lambda a, p: np.transpose(a, p),
    torch=lambda a, p: a.permute(*p),
    samples=lambda rng: [Sample((_r(rng, 2, 3, 4),), {"p": p}, name=str(p)) for p in ((2, 0, 1), (1, 2, 0), (0, 2, 1))],
    covers=("Permute",),
)
op("T", op=lambda a: a.T, ref=lambda a: a.T, torch=lambda a: a.T, samples=lambda rng: [Sample((_r(rng, 3, 4),))])
op(
    "mT",
    op=lambda a: a.mT,
    ref=lambda a: np.swapaxes(a, -1, -2),
    torch=lambda a: a.mT,
    samples=lambda rng: [Sample((_r(rng, 2, 3, 4),))],
)
op(
    "expand",
    op=lambda a, s: a.expand(*s),
    ref=lambda a, s: np.broadcast_to(a, [x if x != -1 else a.shape[i - len(s) + a.ndim] for i, x in enumerate(s)]),
    torch=lambda a, s: a.expand(*s),
    samples=lambda rng: [
        Sample((_r(rng, 3, 1),), {"s": (3, 4)}),
        Sample((_r(rng, 3, 1),), {"s": (2, -1, 4)}, name="lead"),
        Sample((_r(rng),), {"s": (2, 3)}, name="0d"),
    ],
    covers=("Expand",),
)
op(
    "broadcast_to",
    op=lambda a: ag.broadcast_to(a, (2, 3, 4)),
    ref=lambda a: np.broadcast_to(a, (2, 3, 4)),
    torch=lambda a: _t().broadcast_to(a, (2, 3, 4)),
    samples=lambda rng: [Sample((_r(rng, 3, 1),)), Sample((_r(rng, 4),))],
)
op(
    "repeat",
    op=lambda a, r: a.repeat(*r),
    ref=lambda a, r: np.tile(a, r),
    torch=lambda a, r: a.repeat(*r),
    samples=lambda rng: [
        Sample((_r(rng, 2, 3),), {"r": (2, 3)}),
        Sample((_r(rng, 2, 3),), {"r": (2, 1, 2)}, name="lead"),
    ],
    covers=("Repeat",),
)
op(
    "cat",
    op=lambda a, b, c, d: ag.cat([a, b, c], d),
    ref=lambda a, b, c, d: np.concatenate([a, b, c], d),
    torch=lambda a, b, c, d: _t().cat([a, b, c], d),
    samples=lambda rng: [
        Sample((_r(rng, 2, 3), _r(rng, 1, 3), _r(rng, 4, 3)), {"d": 0}, name="d0"),
        Sample((_r(rng, 2, 1), _r(rng, 2, 3), _r(rng, 2, 2)), {"d": -1}, name="d-1"),
    ],
    covers=("Cat",),
)
op(
    "stack",
    op=lambda a, b, d: ag.stack([a, b], d),
    ref=lambda a, b, d: np.stack([a, b], d),
    torch=lambda a, b, d: _t().stack([a, b], d),
    samples=lambda rng: [Sample((_r(rng, 2, 3), _r(rng, 2, 3)), {"d": d}, name=f"d{d}") for d in (0, 1, 2, -1)],
)
op(
    "split",
    op=lambda a, s, d: a.split(s, d),
    ref=lambda a, s, d: _np_split(a, s, d),
    torch=lambda a, s, d: a.split(s, d),
    samples=lambda rng: [
        Sample((_r(rng, 5, 3),), {"s": 2, "d": 0}, name="size2"),
        Sample((_r(rng, 3, 5),), {"s": [1, 4], "d": 1}, name="sections"),
    ],
    covers=("Split",),
)
op(
    "split_partial",
    op=lambda a: a.split(2, 0)[1],
    ref=lambda a: a[2:4],
    torch=lambda a: a.split(2, 0)[1],
    samples=lambda rng: [Sample((_r(rng, 5, 3),), name="one_output_used")],
)
op(
    "chunk",
    op=lambda a, c, d: a.chunk(c, d),
    ref=lambda a, c, d: _np_chunk(a, c, d),
    torch=lambda a, c, d: a.chunk(c, d),
    samples=lambda rng: [Sample((_r(rng, 5, 3),), {"c": 3, "d": 0}), Sample((_r(rng, 2, 6),), {"c": 2, "d": 1})],
)
op(
    "unbind",
    op=lambda a: a.unbind(1),
    ref=lambda a: tuple(a[:, i] for i in range(a.shape[1])),
    torch=lambda a: a.unbind(1),
    samples=lambda rng: [Sample((_r(rng, 2, 3),))],
)
op(
    "flip",
    op=lambda a, d: a.flip(d),
    ref=lambda a, d: np.flip(a, d),
    torch=lambda a, d: a.flip(d),
    samples=lambda rng: [Sample((_r(rng, 2, 3, 4),), {"d": d}, name=str(d)) for d in ((0,), (1, 2), (-1,))],
    covers=("Flip",),
)
op(
    "pad",
    op=lambda a, p: ag.pad(a, p, value=0.5),
    ref=lambda a, p: _np_pad(a, p, 0.5),
    torch=lambda a, p: _t().nn.functional.pad(a, p, value=0.5),
    samples=lambda rng: [
        Sample((_r(rng, 2, 3, 4),), {"p": p}, name=str(p)) for p in ((1, 2), (1, 0, 0, 2), (-1, 1), (2, -1, 1, 1))
    ],
    covers=("Pad",),
)
op(
    "gather",
    op=lambda a, i: a.gather(1, ag.tensor(i)),
    ref=lambda a, i: np.take_along_axis(a, i, 1),
    torch=lambda a, i: a.gather(1, _t().tensor(i)),
    samples=lambda rng: [Sample((_r(rng, 3, 4),), {"i": np.array([[0, 0, 3], [1, 2, 1], [3, 3, 3]])}, name="repeats")],
    covers=("Gather", "ScatterAddZeros"),
)
op(
    "clone",
    op=lambda a: a.clone(),
    ref=lambda a: a.copy(),
    torch=lambda a: a.clone(),
    samples=_unary_samples(_r),
    covers=("Clone",),
)


def _np_flatten(a: np.ndarray, s: int, e: int) -> np.ndarray:
    e = e % a.ndim
    return a.reshape(a.shape[:s] + (-1,) + a.shape[e + 1 :])


def _np_split(a: np.ndarray, s: Any, d: int) -> tuple:
    if isinstance(s, int):
        return tuple(np.split(a, range(s, a.shape[d], s), axis=d))
    return tuple(np.split(a, np.cumsum(s)[:-1], axis=d))


def _np_chunk(a: np.ndarray, c: int, d: int) -> tuple:
    step = -(-a.shape[d] // c)
    return _np_split(a, step, d)


def _np_pad(a: np.ndarray, p: tuple, value: float) -> np.ndarray:
    out = a
    for k in range(len(p) // 2):
        ax = a.ndim - 1 - k
        b, e = p[2 * k], p[2 * k + 1]
        sl = [slice(None)] * a.ndim
        sl[ax] = slice(max(-b, 0), out.shape[ax] - max(-e, 0))
        out = out[tuple(sl)]
        w = [(0, 0)] * a.ndim
        w[ax] = (max(b, 0), max(e, 0))
        out = np.pad(out, w, constant_values=value)
    return out


# ---------------------------------------------------------------------- indexing
_IDX = {
    "int": 1,
    "slice": (slice(None), slice(1, 3)),
    "step": (slice(None, None, 2), slice(1, None, 2)),  # (positive steps only: x[::-1] is refused, as in PyTorch)
    "none_ellipsis": (None, Ellipsis, 0),
    "adv_repeats": (np.array([0, 2, 0, 0]),),
    "adv_pair": (np.array([0, 2, 2]), np.array([1, 1, 3])),
    "bool_mask": "mask",
    "mixed": (slice(0, 2), np.array([3, 0, 3])),
}


def _getitem_samples(rng: np.random.Generator) -> list[Sample]:
    out = []
    for name, idx in _IDX.items():
        x = _r(rng, 3, 4)
        if idx == "mask":
            idx = (x > 0) | (np.arange(12).reshape(3, 4) == 0)
        out.append(Sample((x,), {"idx": idx}, name=name))
    return out


def _torch_idx(idx: Any) -> Any:
    torch = _t()
    if isinstance(idx, tuple):
        return tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in idx)
    return torch.tensor(idx) if isinstance(idx, np.ndarray) else idx


op(
    "getitem",
    op=lambda a, idx: a[idx],
    ref=lambda a, idx: a[idx],
    torch=None,
    samples=_getitem_samples,
    covers=("GetItem", "IndexAddZeros"),
)
op(
    "getitem_torch",
    op=lambda a, idx: a[idx],
    ref=lambda a, idx: a[idx],
    torch=lambda a, idx: a[_torch_idx(idx)],
    samples=_getitem_samples,
)


def _setitem(a: Any, v: Any, idx: Any) -> Any:
    out = a * 1.0
    out[idx] = v
    return out


def _np_setitem(a: np.ndarray, v: np.ndarray, idx: Any) -> np.ndarray:
    out = a.copy()
    out[idx] = v
    return out


op(
    "setitem",
    op=_setitem,
    ref=_np_setitem,
    torch=lambda a, v, idx: _setitem(a, v, _torch_idx(idx)),
    samples=lambda rng: [
        Sample((_r(rng, 3, 4), _r(rng, 2)), {"idx": (slice(None, 2), 1)}, name="basic"),
        Sample((_r(rng, 3, 4), _r(rng, 4)), {"idx": 0}, name="row_broadcast"),
        Sample((_r(rng, 3, 4), _r(rng, 2, 4)), {"idx": (np.array([0, 2]),)}, name="advanced"),
        Sample((_r(rng, 3, 4), _r(rng)), {"idx": (slice(1, 3), slice(0, 2))}, name="scalar_value"),
    ],
    covers=("SetItem",),
)


# ---------------------------------------------------------------------- in-place ops (via a clone)
def _inplace_samples(gen_b: Callable) -> Callable:
    # The target keeps its shape in an in-place op, so only ``b`` may broadcast.
    def samples(rng: np.random.Generator) -> list[Sample]:
        return [
            Sample((_r(rng, 3, 4), gen_b(rng, 3, 4)), name="same"),
            Sample((_r(rng, 3, 4), gen_b(rng, 4)), name="broadcast"),
            Sample((_r(rng, 3, 4), gen_b(rng)), name="0d_other"),
            Sample((_nc(_r(rng, 4, 3)).T, gen_b(rng, 3, 4)), name="noncontig"),
        ]

    return samples


def _inplace_row(name: str, method: str, npf: Callable, gen_b: Callable = _r, **kw: Any) -> None:
    def ours(a, b):
        return getattr(a * 1.0, method)(b)

    op(name, op=ours, ref=npf, torch=ours, samples=_inplace_samples(gen_b), **kw)


_inplace_row("add_", "add_", np.add)
_inplace_row("sub_", "sub_", np.subtract)
_inplace_row("mul_", "mul_", np.multiply)
_inplace_row("div_", "div_", np.divide, _away)
op(
    "clamp_",
    op=lambda a: (a * 1.0).clamp_(-0.5, 0.5),
    ref=lambda a: np.clip(a, -0.5, 0.5),
    torch=lambda a: (a * 1.0).clamp_(-0.5, 0.5),
    samples=_unary_samples(_uniq),
)
op(
    "copy_",
    op=lambda a, b: (a * 1.0).copy_(b),
    ref=lambda a, b: np.broadcast_to(b, a.shape) + 0 * a,
    torch=lambda a, b: (a * 1.0).copy_(b),
    samples=lambda rng: [Sample((_r(rng, 3, 4), _r(rng, 4)))],
    covers=("Copy",),
)
op(
    "fill_",
    op=lambda a, b: (a * 1.0).fill_(b),
    ref=lambda a, b: np.full(a.shape, b),
    torch=lambda a, b: (a * 1.0).fill_(b),
    samples=lambda rng: [Sample((_r(rng, 3, 4), _r(rng)))],
    covers=("Fill",),
)
op("iadd", op=lambda a, b: _iadd(a, b), ref=np.add, torch=lambda a, b: _iadd(a, b), samples=_inplace_samples(_r))


def _iadd(a: Any, b: Any) -> Any:
    c = a * 1.0
    c += b
    return c


# ---------------------------------------------------------------------- convolution and pooling
def _F():
    import autograd_core.nn.functional as F

    return F


def _np_conv2d(x, w, stride=1, padding=0, dilation=1, groups=1):
    """Naive direct convolution (independent of the im2col kernels)."""
    s = (stride, stride) if isinstance(stride, int) else stride
    p = (padding, padding) if isinstance(padding, int) else padding
    d = (dilation, dilation) if isinstance(dilation, int) else dilation
    x = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    n, c, h, wd = x.shape
    k, cg, kh, kw = w.shape
    ho, wo = (h - d[0] * (kh - 1) - 1) // s[0] + 1, (wd - d[1] * (kw - 1) - 1) // s[1] + 1
    out = np.zeros((n, k, ho, wo))
    kg = k // groups
    for o in range(k):
        g = o // kg
        for i in range(kh):
            for j in range(kw):
                patch = x[
                    :,
                    g * cg : (g + 1) * cg,
                    i * d[0] : i * d[0] + s[0] * (ho - 1) + 1 : s[0],
                    j * d[1] : j * d[1] + s[1] * (wo - 1) + 1 : s[1],
                ]
                out[:, o] += np.einsum("nchw,c->nhw", patch, w[o, :, i, j])
    return out


def _np_pool(x, k, s, p, mode, ceil_mode=False, count_include_pad=True):
    """Naive pooling with PyTorch's output-size and divisor rules."""
    n, c, h, w = x.shape
    from autograd_core.ops.conv import out_size

    ho, wo = out_size(h, k, s, 2 * p, 1, ceil_mode), out_size(w, k, s, 2 * p, 1, ceil_mode)
    out = np.zeros((n, c, ho, wo))
    for oy in range(ho):
        for ox in range(wo):
            y0, x0 = oy * s - p, ox * s - p
            y1, x1 = min(y0 + k, h + p), min(x0 + k, w + p)
            win = x[:, :, max(y0, 0) : min(y1, h), max(x0, 0) : min(x1, w)]
            if mode == "max":
                out[:, :, oy, ox] = win.max(axis=(2, 3))
            else:
                div = (y1 - y0) * (x1 - x0) if count_include_pad else win.shape[2] * win.shape[3]
                out[:, :, oy, ox] = win.sum(axis=(2, 3)) / div
    return out


_CONV_CASES = [
    ({}, (2, 3, 6, 5), (4, 3, 3, 3)),
    ({"stride": 2, "padding": 1}, (2, 2, 7, 6), (3, 2, 3, 2)),
    ({"dilation": 2, "padding": (2, 1)}, (1, 2, 7, 7), (2, 2, 3, 3)),
    ({"groups": 2, "stride": (1, 2)}, (2, 4, 5, 6), (6, 2, 2, 3)),
    ({"padding": 2}, (1, 1, 4, 4), (2, 1, 5, 5)),
]


def _conv_samples(rng: np.random.Generator) -> list[Sample]:
    return [
        Sample((_r(rng, *xs), _r(rng, *ws)), {"kw": kw}, name="_".join(f"{k}{v}" for k, v in kw.items()) or "plain")
        for kw, xs, ws in _CONV_CASES
    ]


op(
    "conv2d",
    op=lambda x, w, kw: _F().conv2d(x, w, **kw),
    ref=lambda x, w, kw: _np_conv2d(x, w, **kw),
    torch=lambda x, w, kw: _t().nn.functional.conv2d(x, w, **kw),
    samples=_conv_samples,
    covers=("Conv2d", "Conv2dGradInput", "Conv2dGradWeight"),
)
op(
    "conv2d_bias",
    op=lambda x, w, b: _F().conv2d(x, w, b, padding="same"),
    ref=lambda x, w, b: _np_conv2d(x, w, padding=1) + b[None, :, None, None],
    torch=lambda x, w, b: _t().nn.functional.conv2d(x, w, b, padding="same"),
    samples=lambda rng: [Sample((_r(rng, 2, 2, 5, 4), _r(rng, 3, 2, 3, 3), _r(rng, 3)), name="same")],
)
op(
    "conv_transpose2d",
    op=lambda x, w, kw: _F().conv_transpose2d(x, w, **kw),
    ref=lambda x, w, kw: _np_conv_transpose(x, w, **kw),
    torch=lambda x, w, kw: _t().nn.functional.conv_transpose2d(x, w, **kw),
    samples=lambda rng: [
        Sample(
            (_r(rng, 2, 3, 4, 3), _r(rng, 3, 2, 3, 3)),
            {"kw": {"stride": 2, "padding": 1, "output_padding": 1}},
            name="s2",
        ),
        Sample((_r(rng, 1, 4, 3, 3), _r(rng, 4, 1, 2, 2)), {"kw": {"groups": 2}}, name="groups"),
    ],
)


def _np_conv_transpose(x, w, stride=1, padding=0, output_padding=0, groups=1):
    """Scatter definition of the transposed convolution (independent reference)."""
    n, cin, h, wd = x.shape
    _, cg, kh, kw = w.shape
    cout = cg * groups
    ho = (h - 1) * stride - 2 * padding + kh + output_padding
    wo = (wd - 1) * stride - 2 * padding + kw + output_padding
    full = np.zeros((n, cout, (h - 1) * stride + kh + output_padding, (wd - 1) * stride + kw + output_padding))
    ing = cin // groups
    for ci in range(cin):
        g = ci // ing
        for i in range(h):
            for j in range(wd):
                full[:, g * cg : (g + 1) * cg, i * stride : i * stride + kh, j * stride : j * stride + kw] += (
                    x[:, ci, i, j][:, None, None, None] * w[ci][None]
                )
    return full[:, :, padding : padding + ho, padding : padding + wo]


op(
    "max_pool2d",
    op=lambda x, k, s, p: _F().max_pool2d(x, k, s, p),
    ref=lambda x, k, s, p: _np_pool(x, k, s, p, "max"),
    torch=lambda x, k, s, p: _t().nn.functional.max_pool2d(x, k, s, p),
    samples=lambda rng: [
        Sample((_uniq(rng, 2, 2, 6, 5),), {"k": 2, "s": 2, "p": 0}, name="k2s2"),
        Sample((_uniq(rng, 1, 2, 7, 7),), {"k": 3, "s": 2, "p": 1}, name="k3s2p1_overlap"),
    ],
    covers=("MaxPool2d", "MaxPoolScatter"),
)
op(
    "avg_pool2d",
    op=lambda x, k, s, p, cm, cip: _F().avg_pool2d(x, k, s, p, cm, cip),
    ref=lambda x, k, s, p, cm, cip: _np_pool(x, k, s, p, "avg", cm, cip),
    torch=lambda x, k, s, p, cm, cip: _t().nn.functional.avg_pool2d(x, k, s, p, cm, cip),
    samples=lambda rng: [
        Sample((_r(rng, 2, 2, 6, 5),), {"k": 2, "s": 2, "p": 0, "cm": False, "cip": True}, name="k2"),
        Sample((_r(rng, 1, 2, 7, 6),), {"k": 3, "s": 2, "p": 1, "cm": True, "cip": False}, name="ceil"),
    ],
    covers=("AvgPool2d", "AvgPool2dTranspose"),
)
op(
    "adaptive_avg_pool2d",
    op=lambda x, o: _F().adaptive_avg_pool2d(x, o),
    ref=lambda x, o: _np_adaptive(x, o),
    torch=lambda x, o: _t().nn.functional.adaptive_avg_pool2d(x, o),
    samples=lambda rng: [
        Sample((_r(rng, 2, 2, 6, 4),), {"o": (3, 2)}, name="uniform"),
        Sample((_r(rng, 1, 2, 5, 7),), {"o": (2, 3)}, name="uneven"),
    ],
)


def _np_adaptive(x, o):
    h, w = x.shape[2:]
    out = np.zeros(x.shape[:2] + tuple(o))
    for i in range(o[0]):
        for j in range(o[1]):
            win = x[:, :, (i * h) // o[0] : -(-((i + 1) * h) // o[0]), (j * w) // o[1] : -(-((j + 1) * w) // o[1])]
            out[:, :, i, j] = win.mean(axis=(2, 3))
    return out


def _np_bn(x, w, b, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shp = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    xh = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    return xh * w.reshape(shp) + b.reshape(shp)


op(
    "batch_norm_train",
    op=lambda x, w, b: _F().batch_norm(x, None, None, w, b, training=True),
    ref=lambda x, w, b: _np_bn(x, w, b),
    torch=lambda x, w, b: _t().nn.functional.batch_norm(x, None, None, w, b, training=True),
    samples=lambda rng: [
        Sample((_r(rng, 4, 3), _r(rng, 3), _r(rng, 3)), name="NC"),
        Sample((_r(rng, 2, 3, 4), _r(rng, 3), _r(rng, 3)), name="NCL"),
        Sample((_r(rng, 2, 2, 3, 3), _r(rng, 2), _r(rng, 2)), name="NCHW"),
    ],
    covers=("BatchNorm",),
)
op(
    "batch_norm_train_noaffine",
    op=lambda x: _F().batch_norm(x, None, None, training=True),
    ref=lambda x: _np_bn(x, np.ones(x.shape[1]), np.zeros(x.shape[1])),
    torch=lambda x: _t().nn.functional.batch_norm(x, None, None, training=True),
    samples=lambda rng: [Sample((_r(rng, 3, 2, 2, 2),), name="NCHW")],
)
# running statistics in x's dtype: PyTorch (and so autograd_core) refuses mixed dtypes on the CPU
op(
    "batch_norm_eval",
    op=lambda x, w, b, rm, rv: _F().batch_norm(x, ag.tensor(rm, dtype=x.dtype), ag.tensor(rv, dtype=x.dtype), w, b),
    ref=lambda x, w, b, rm, rv: (
        (x - rm[None, :, None]) / np.sqrt(rv[None, :, None] + 1e-5) * w[None, :, None] + b[None, :, None]
    ),
    torch=lambda x, w, b, rm, rv: _t().nn.functional.batch_norm(
        x, _t().tensor(rm, dtype=x.dtype), _t().tensor(rv, dtype=x.dtype), w, b
    ),
    samples=lambda rng: [Sample((_r(rng, 2, 3, 4), _r(rng, 3), _r(rng, 3)), {"rm": _r(rng, 3), "rv": _pos(rng, 3)})],
)


import op_db_attention  # noqa: E402, F401
import op_db_contraction  # noqa: E402, F401
import op_db_layers  # noqa: E402, F401
import op_db_linalg  # noqa: E402, F401  (registers the linalg rows)
import op_db_linalg_more  # noqa: E402, F401
import op_db_math  # noqa: E402, F401
import op_db_nn  # noqa: E402, F401
import op_db_nn_extra  # noqa: E402, F401
import op_db_special  # noqa: E402, F401
import op_db_statistics  # noqa: E402, F401
import op_db_surface  # noqa: E402, F401
import op_db_tensor  # noqa: E402, F401

OPS_BY_NAME = {o.name: o for o in OPS}
assert len(OPS_BY_NAME) == len(OPS), "duplicate op names in the op table"


# ---------------------------------------------------------------------- sparse COO (autograd_core.sparse)
_SP_IDX = np.array([[0, 2, 1, 0, 2], [1, 0, 2, 1, 2]])  # (0, 1) twice: to_dense sums duplicates


def _sp_dense(v: np.ndarray) -> np.ndarray:
    out = np.zeros((3, 3) + v.shape[1:], dtype=v.dtype)
    np.add.at(out, (_SP_IDX[0], _SP_IDX[1]), v)
    return out


op(
    "sparse_to_dense",
    op=lambda v: ag.sparse_coo_tensor(ag.tensor(_SP_IDX), v, (3, 3) + tuple(v.shape[1:])).to_dense(),
    ref=_sp_dense,
    torch=lambda v: __import__("torch").sparse_coo_tensor(__import__("torch").tensor(_SP_IDX), v,
                                                          (3, 3) + tuple(v.shape[1:])).to_dense(),
    samples=lambda rng: [Sample((_r(rng, 5),), name="values"), Sample((_r(rng, 5, 2),), name="hybrid")],
    covers=("SegmentSum",),
)
