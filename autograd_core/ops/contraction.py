"""Contractions and matrix functions: tensordot, inner, addr, addbmm, chain_matmul, matrix_power, matrix_exp,
vander, combinations, and the in-place twins addmm_, addmv_, baddbmm_, addbmm_, addr_.

Everything but matrix_exp is a composition of recorded ops (permute, reshape, matmul, cumprod, indexing), each
exact and differentiable to every order, in PyTorch's own order of operations (so which operands a backward
reads, and the rounding, follow torch's). ``MatrixExp`` is the one primitive: its backward is again a matrix
exponential (of the block matrix [[A^T, G], [0, A^T]], whose upper-right block is the adjoint Frechet
derivative), applied through ``xp.apply``, so second derivatives come free.
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np

from .._function import Function
from .._inplace import _dtype_name as _tname  # PyTorch's dtype names (Float, Long, ...)
from .._inplace import inplace_of
from .._tensor import Tensor, _make
from ._dims import normalize_dims
from .compare import where
from .linalg import _same_dtype, _scaled_sum
from .reduction import cumprod
from .reduction import sum as _sum
from .shape import cat, flip, stack

__all__ = [  # public functions (autograd_core.<name>)
    "tensordot", "inner", "addr", "addbmm", "chain_matmul", "matrix_power", "matrix_exp", "vander", "combinations",
]


def _tensor(x: Any, op: str, what: str, pos: int | None = None) -> Tensor:
    if not isinstance(x, Tensor):
        where_ = f" (position {pos})" if pos is not None else ""
        raise TypeError(f"{op}(): argument '{what}'{where_} must be Tensor, not {type(x).__name__}")
    return x


# ---------------------------------------------------------------------- tensordot, inner
def _dims_pair(dims: Any, a: Tensor, b: Tensor) -> tuple[list[int], list[int]]:
    """tensordot's ``dims`` (an int n, a pair of int lists, or a tensor) as two lists of dims (torch.functional)."""
    if isinstance(dims, Tensor):
        d = dims._data
        if d.size > 1:
            return [int(v) for v in np.asarray(d[0]).reshape(-1)], [int(v) for v in np.asarray(d[1]).reshape(-1)]
        n = int(d.reshape(()))
        if n < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={n}")
        return list(range(-n, 0)), list(range(n))
    if isinstance(dims, (int, np.integer)) and not isinstance(dims, bool):
        n = int(dims)
        if n < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={n}")
        if n > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={n} (shapes "
                               f"{list(a.shape)} and {list(b.shape)})")
        return list(range(-n, 0)), list(range(n))
    if isinstance(dims, (tuple, list)):
        if len(dims) != 2:
            raise ValueError(f"tensordot: dims as a sequence must hold two lists of dims, got {dims!r}")
        out = []
        for pos, ds in zip((3, 4), dims):
            if not isinstance(ds, (tuple, list)) or not all(isinstance(v, (int, np.integer)) for v in ds):
                raise TypeError(f"tensordot(): argument 'dims_{'self' if pos == 3 else 'other'}' (position {pos}) "
                                f"must be tuple of ints, not {type(ds).__name__} (write dims=([1], [0]))")
            out.append([int(v) for v in ds])
        return out[0], out[1]
    raise RuntimeError("tensordot expects dims to be int or tuple[list[int], list[int]] or list[list[int]] "
                       f"containing two lists, but got dims={dims}")


def _wrap(d: int, nd: int, op: str = "tensordot") -> int:
    n = max(nd, 1)
    if not -n <= d < n:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
    return d % n


def tensordot(a: Tensor, b: Tensor, dims: Any = 2, out: Any = None) -> Tensor:
    """sum over the paired dims of a and b of a * b: ``dims=n`` pairs a's last n with b's first n dims,
    ``dims=([i...], [j...])`` pairs a's dim i with b's dim j; the free dims of a, then of b, remain."""
    if out is not None:
        raise TypeError("tensordot: out= is not supported (results are new tensors in the graph)")
    a, b = _tensor(a, "tensordot", "a", 1), _tensor(b, "tensordot", "b", 2)
    da, db = _dims_pair(dims, a, b)
    if len(da) != len(db):
        raise RuntimeError(f"both dimension lists should have same length (got {da} and {db})")
    if a.dtype != b.dtype:
        raise RuntimeError(f"both inputs should have same dtype (got {_tname(a.dtype)} and {_tname(b.dtype)}; "
                           "cast one, e.g. b.to(a.dtype))")
    ta, tb = a, b
    csize = 1
    for i, j in zip(da, db):
        sa, sb = a.shape[_wrap(i, a.ndim)], b.shape[_wrap(j, b.ndim)]
        # a size-1 dim pairs with any size (PyTorch): it is summed out of the other operand first
        if sb == 1:
            ta = _sum(ta, i, True)
        elif sa == 1:
            tb = _sum(tb, j, True)
        elif sa != sb:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa} in dim {i} and second "
                               f"has size {sb} in dim {j}")
        else:
            csize *= sa
    ca, cb = normalize_dims(da, a.ndim, "tensordot") or (), normalize_dims(db, b.ndim, "tensordot") or ()
    free_a = [i for i in range(a.ndim) if i not in ca]
    free_b = [i for i in range(b.ndim) if i not in cb]
    size_a = math.prod(ta.shape[i] for i in free_a)
    size_b = math.prod(tb.shape[i] for i in free_b)
    pa = free_a + [_wrap(i, a.ndim) for i in da]
    pb = [_wrap(j, b.ndim) for j in db] + free_b
    # one matrix product of (free_a, contracted) by (contracted, free_b), as PyTorch computes it
    m1 = (ta.permute(pa) if pa != list(range(a.ndim)) else ta).reshape(size_a, csize)
    m2 = (tb.permute(pb) if pb != list(range(b.ndim)) else tb).reshape(csize, size_b)
    return (m1 @ m2).reshape([ta.shape[i] for i in free_a] + [tb.shape[i] for i in free_b])


def inner(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002 - PyTorch's names
    """sum over the last dim of input[..., k] * other[..., k] (a product when either is 0-d)."""
    a, b = _tensor(input, "inner", "input", 1), _tensor(other, "inner", "other", 2)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(a.shape)} and {list(b.shape)}")
    return tensordot(a, b, ([-1], [-1]))


# ---------------------------------------------------------------------- addr, addbmm
def _integral_scalars(inp: Tensor, beta: Any, alpha: Any, op: str) -> None:
    if inp.dtype.kind in "iub":
        for name, v in (("beta", beta), ("alpha", alpha)):
            if isinstance(v, float):
                raise RuntimeError(f"For integral input tensors, argument {name} must not be a floating point number. "
                                   f"({op} of a {_tname(inp.dtype)} tensor with {name}={v})")


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """beta * input + alpha * outer(vec1, vec2), input broadcast to (len(vec1), len(vec2))."""
    inp = _tensor(input, "addr", "input", 1)
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        _tensor(v, "addr", name)
        if v.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.ndim}-D (shape {list(v.shape)})")
    _integral_scalars(inp, beta, alpha, "addr")
    # PyTorch's kernel: self * beta + alpha * vec1 * vec2 (dtypes promote, unlike addmm's)
    u = vec1.unsqueeze(1) if alpha == 1 else vec1.unsqueeze(1) * alpha
    return _scaled_sum(inp, u * vec2.unsqueeze(0), beta, 1, "addr")


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """beta * input + alpha * sum_b batch1[b] @ batch2[b], input broadcast to (n, p)."""
    inp = _tensor(input, "addbmm", "input", 1)
    b1, b2 = _tensor(batch1, "addbmm", "batch1", 2), _tensor(batch2, "addbmm", "batch2", 3)
    for name, t in (("batch1", b1), ("batch2", b2)):
        if t.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor (addbmm got shape {list(t.shape)})")
    if b1.shape[0] != b2.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {b1.shape[0]} and "
                           f"{b2.shape[0]}")
    if b1.shape[2] != b2.shape[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({b1.shape[1]}x{b1.shape[2]} and "
                           f"{b2.shape[1]}x{b2.shape[2]})")
    _same_dtype("addbmm", b1, b2)
    if inp.dtype != b1.dtype:
        raise RuntimeError(f"addbmm: self and mat2 must have the same dtype, but got {_tname(inp.dtype)} and "
                           f"{_tname(b1.dtype)}")
    nb, n, k = b1.shape
    p = b2.shape[2]
    # the sum of the b products is one (n, b*k) @ (b*k, p) product: one matmul node, exact gradients
    prod = b1.permute(1, 0, 2).reshape(n, nb * k) @ b2.reshape(nb * k, p)
    return _scaled_sum(inp, prod, beta, alpha, "addbmm")


# ---------------------------------------------------------------------- chain_matmul, matrix_power
_CHAIN_WARNED = [False]


def chain_matmul(*matrices: Tensor, out: Any = None) -> Tensor:
    """The product of 2-D matrices (deprecated in PyTorch: use linalg.multi_dot)."""

    if out is not None:
        raise TypeError("chain_matmul: out= is not supported (results are new tensors in the graph)")
    if not _CHAIN_WARNED[0]:  # PyTorch warns once per process
        _CHAIN_WARNED[0] = True
        warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
                      "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than "
                      "multiple parameters.", UserWarning, stacklevel=2)
    for i, m in enumerate(matrices):
        if not isinstance(m, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(m).__name__} (pass the "
                            "matrices as separate arguments: chain_matmul(a, b, c))")
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for m in matrices:
        if m.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m.ndim}, expected 2 instead. (chain_matmul of shape "
                               f"{list(m.shape)})")
    if len(matrices) == 1:
        return matrices[0].clone()
    out = matrices[0]
    for m in matrices[1:]:  # left to right (linalg.multi_dot, above this module, picks the cheapest order)
        out = out @ m
    return out


def _square(a: Any, op: str) -> Tensor:
    a = _tensor(a, op, "input", 1)
    if a.ndim < 2:
        raise RuntimeError(f"linalg.{op}: The input tensor A must have at least 2 dimensions. (got shape "
                           f"{list(a.shape)})")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"linalg.{op}: A must be batches of square matrices, but they are {a.shape[-2]} by "
                           f"{a.shape[-1]} matrices")
    return a


def _inv(a: Tensor) -> Tensor:
    """linalg.inv's op (linalg.py sits above this module), with its dtype check."""
    from .linalg import Inv

    if a.dtype.kind != "f":
        raise RuntimeError(f"linalg.inv: expected a floating point tensor, got {a.dtype.name} (shape "
                           f"{list(a.shape)}). Fix: convert with .double() or .float()")
    return Inv.apply(a)


def matrix_power(input: Tensor, n: int) -> Tensor:  # noqa: A002
    """A^n of a (batch of) square matrix by repeated squaring; n < 0 powers the inverse, n = 0 gives I."""
    a = _square(input, "matrix_power")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"matrix_power(): argument 'n' (position 2) must be int, not {type(n).__name__}")
    n = int(n)
    if n == 0:
        # the identity, still a function of A (a zero gradient), as PyTorch's clone-then-copy gives
        eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
        return where(np.ones(a.shape, dtype=bool), _make(np.ascontiguousarray(eye), None, False), a)
    if n == 1:
        return a.clone()
    if n == -1:
        return _inv(a)
    z = _inv(a) if n < 0 else a
    n = abs(n)
    if n == 2:
        return z @ z
    if n == 3:
        return (z @ z) @ z
    # PyTorch's binary decomposition: square z, multiply it in at each set bit (O(log n) products)
    result = None
    while n > 0:
        bit, n = n % 2, n // 2
        if bit:
            result = z if result is None else result @ z
        if n:
            z = z @ z
    return result


# ---------------------------------------------------------------------- matrix_exp
# Pade (13, 13) coefficients and the 1-norm bound up to which it is accurate to double precision (Higham 2005)
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0, 129060195264000.0,
           10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0,
           1.0)
_THETA13 = 5.371920351148152


def expm_array(a: np.ndarray) -> np.ndarray:
    """exp of each square matrix in a (..., n, n): scaling and squaring with a Pade(13) approximant, in float64."""
    dt = a.dtype
    x = a.astype(np.float64)
    n = x.shape[-1]
    if x.size == 0:
        return np.zeros(a.shape, dtype=dt)
    flat = x.reshape(-1, n, n)
    out = np.full(flat.shape, np.nan)
    finite = np.isfinite(flat).all(axis=(1, 2))  # exp of a matrix with inf/nan: nan (no scaling is defined)
    m = flat[finite]
    if m.size:
        norm = np.abs(m).sum(axis=1).max(axis=1)  # 1-norm of each matrix
        with np.errstate(divide="ignore"):
            s = np.maximum(0, np.ceil(np.log2(np.maximum(norm, 1e-300) / _THETA13))).astype(np.int64)
        m = m / (2.0 ** s)[:, None, None]
        eye = np.eye(n)
        m2 = m @ m
        m4 = m2 @ m2
        m6 = m4 @ m2
        b = _PADE13
        u = m @ (m6 @ (b[13] * m6 + b[11] * m4 + b[9] * m2) + b[7] * m6 + b[5] * m4 + b[3] * m2 + b[1] * eye)
        v = m6 @ (b[12] * m6 + b[10] * m4 + b[8] * m2) + b[6] * m6 + b[4] * m4 + b[2] * m2 + b[0] * eye
        r = np.linalg.solve(v - u, v + u)
        for i in range(int(s.max(initial=0))):  # undo the scaling: square each matrix s times
            sel = s > i
            r[sel] = r[sel] @ r[sel]
        out[finite] = r
    return out.reshape(a.shape).astype(dt)


class MatrixExp(Function):
    """Y = exp(A) = sum_k A^k / k!;  gA = the upper-right block of exp([[A^T, G], [0, A^T]])"""

    saves_inputs = True

    def forward(self, a):
        if a.shape[-1] == 1:  # PyTorch's shortcut: the elementwise exp (exp(-inf) = 0 where the series gives nan)
            with np.errstate(over="ignore"):
                return np.exp(a)
        return expm_array(a)

    def backward(self, g):
        (a,) = self.saved()  # the input, as PyTorch: an in-place change of the result afterwards is no error
        xp = self.xp
        if a.shape[-1] == 1:  # the scalar exp's derivative: exact, where the block matrix's norm grows with g
            return g * xp.exp(a)
        at = xp.mT(a)
        n = a.shape[-1]
        # the adjoint Frechet derivative of exp at A, through the exponential of a block-triangular matrix
        top = xp.cat([at, g], -1)
        bottom = xp.cat([xp.zeros_like(at), at], -1)
        e = xp.apply(MatrixExp, xp.cat([top, bottom], -2))
        return e[..., :n, n:]


def matrix_exp(A: Tensor) -> Tensor:
    """exp(A) = sum_k A^k / k! of a (batch of) square matrix (float)."""
    a = _square(A, "matrix_exp")
    if a.dtype.kind != "f":
        raise RuntimeError(f"linalg.matrix_exp: Expected a floating point or complex tensor as input. Got "
                           f"{_tname(a.dtype)} (convert first with .float() or .double())")
    return MatrixExp.apply(a)


# ---------------------------------------------------------------------- vander, combinations
def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:  # noqa: N803 - PyTorch's name
    """The Vandermonde matrix [x^(N-1), ..., x, 1] of a 1-D x (``increasing``: [1, x, ..., x^(N-1)])."""
    x = _tensor(x, "vander", "x", 1)
    if x.ndim != 1:
        raise RuntimeError(f"x must be a one-dimensional tensor. (vander got shape {list(x.shape)})")
    n = x.shape[0] if N is None else int(N)
    if n < 0:
        raise RuntimeError(f"N must be non-negative. (got N={n})")
    # integers (bool too) are computed in int64, as PyTorch's cumprod promotes them
    if x.dtype.kind in "iub" and x.dtype != np.int64:
        x = x.to(np.int64)
    ones = _make(np.ones((x.shape[0], min(n, 1)), dtype=x.dtype), None, False)
    if n <= 1:
        res = ones  # only the column of ones: no function of x (PyTorch's fill_)
    else:
        # PyTorch's construction: columns 1.. hold cumprod of x along the row (exact gradients with zeros in x)
        res = cat([ones, cumprod(x.unsqueeze(1).expand(x.shape[0], n - 1), 1)], 1)
    return res if increasing else flip(res, (1,))


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:  # noqa: A002
    """The length-r combinations of a 1-D tensor's elements as rows (itertools.combinations' order;
    ``with_replacement``: combinations_with_replacement)."""
    x = _tensor(input, "combinations", "input", 1)
    if x.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(x.shape)}")
    r = int(r)
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return _make(np.zeros(0, dtype=x.dtype), None, False)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(pick(range(x.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    # one gather per column, then stack (PyTorch's meshgrid + masked_select + stack): gradients sum per element
    return stack([x[idx[:, k]] for k in range(r)], 1)


# ---------------------------------------------------------------------- declarations
METHODS: dict[str, Any] = {  # Tensor methods
    "inner": inner, "addr": addr, "addbmm": addbmm, "matrix_power": matrix_power, "matrix_exp": matrix_exp,
    # in-place twins: the out-of-place op computed and written back (autograd_core/_inplace.py's generic form)
    **{f"{n}_": inplace_of(n) for n in ("addmm", "addmv", "baddbmm", "addbmm", "addr")},
}
