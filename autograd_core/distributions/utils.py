"""Helpers shared by the distributions (PyTorch's ``torch.distributions.utils``), plus the small composed
functions they need: a softplus exact at every logit, xlogy, shape and sampling helpers."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _creation
from .._grad_mode import enable_grad
from .._runtime import Size
from .._tensor import Tensor, _make

__all__ = ["broadcast_all", "logits_to_probs", "clamp_probs", "probs_to_logits", "lazy_property",
           "euler_constant", "tril_matrix_to_vec", "vec_to_tril_matrix"]

euler_constant = 0.57721566490153286060  # Euler-Mascheroni

# PyTorch's ``Number``: a Python bool/int/float (numpy's float64 is a float subclass, so it counts too).
_NUMBER = (bool, int, float)


def is_number(x: Any) -> bool:
    return isinstance(x, _NUMBER)


def as_size(shape: Any, what: str = "sample_shape") -> Size:
    """``shape`` as a Size; PyTorch takes a tuple/list/Size here (``sample((5,))``), not a bare int."""
    if isinstance(shape, Size):
        return shape
    try:
        return Size(shape)
    except TypeError:
        raise TypeError(f"{what} must be a tuple of ints such as (5,) or (), got {type(shape).__name__} "
                        f"{shape!r}") from None


def size_of(t: Tensor) -> Size:
    return Size(t.shape)


def broadcast_all(*values: Any) -> tuple[Tensor, ...]:
    """The values broadcast to one shape; Python numbers become tensors of the first tensor's dtype
    (the default dtype when all are numbers)."""
    if not all(isinstance(v, Tensor) or is_number(v) for v in values):
        raise ValueError("Input arguments must all be instances of Number or autograd_core.Tensor, got "
                         + ", ".join(type(v).__name__ for v in values))
    dtype = next((v.dtype for v in values if isinstance(v, Tensor)), None)
    if dtype is None:
        dtype = _creation.get_default_dtype()
    ts = [v if isinstance(v, Tensor) else _creation.tensor(v, dtype=dtype) for v in values]
    from .. import broadcast_shapes

    shape = tuple(broadcast_shapes(*[tuple(t.shape) for t in ts]))
    # only what really broadcasts is expanded: a recorded no-op expand would be one more graph node
    return tuple(t if tuple(t.shape) == shape else t.expand(shape) for t in ts)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    from .. import sigmoid, softmax

    return sigmoid(logits) if is_binary else softmax(logits, dim=-1)


def clamp_probs(probs: Tensor) -> Tensor:
    """probs clamped into [eps, 1 - eps] (eps of their dtype), so that their logs are finite."""
    eps = float(np.finfo(probs.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    from .. import log, log1p

    p = clamp_probs(probs)
    return log(p) - log1p(-p) if is_binary else log(p)


class lazy_property:  # noqa: N801  (PyTorch's name)
    """A property computed on first access and then stored on the instance (under grad mode, so a
    parameter derived inside ``no_grad`` still carries its graph)."""

    def __init__(self, wrapped: Callable[[Any], Any]) -> None:
        self.wrapped = wrapped
        functools.update_wrapper(self, wrapped)  # type: ignore[arg-type]

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def sum_rightmost(value: Any, dim: int) -> Any:
    """``value`` summed over its ``dim`` rightmost dimensions."""
    if dim == 0 or not isinstance(value, Tensor):
        return value
    return value.reshape(tuple(value.shape[: value.ndim - dim]) + (-1,)).sum(-1)


def softplus(x: Tensor) -> Tensor:
    """log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)), exact for every x (no threshold) with the
    derivative sigmoid(x) also at x = 0 (where max and |x| alone would give 1 or 0)."""
    from .. import exp, log1p

    m = x.clamp(min=0)
    return m + log1p(exp(x - 2 * m))


def xlogy(x: Any, y: Tensor) -> Tensor:
    """x * log(y), 0 where x == 0 (also at y == 0), as ``torch.xlogy``: d/dx = log(y) (0 where x == 0 and
    y <= 0), d/dy = x / y."""
    from .. import log, where

    if is_number(x):
        return x * log(y) if x != 0 else y * 0.0
    # log(1) = 0 stands in for log(y) only where x == 0 makes the product 0 and log(y) is not finite
    bad = (x == 0) & ((y <= 0) | (y == math.inf))
    return x * log(where(bad, 1.0, y))


def rng() -> np.random.Generator:
    """The global generator (``autograd_core.manual_seed`` seeds it)."""
    return _creation.generator()


def constant(arr: np.ndarray, dtype: Any) -> Tensor:
    """A tensor that records nothing, holding ``arr`` cast to ``dtype``."""
    a = np.asarray(arr, dtype=dtype)
    return _make(a if a.flags.c_contiguous else np.ascontiguousarray(a), None, False)


def data(t: Tensor) -> np.ndarray:
    """The values of a tensor as an ndarray (for sampling, which is never differentiated)."""
    return np.asarray(t.detach().numpy())


def all_true(valid: Any) -> bool:
    return bool(np.all(data(valid) if isinstance(valid, Tensor) else valid))


def _tril_positions(n: int, diag: int) -> np.ndarray:
    """Flat (row-major) positions in an n x n matrix of the entries with col < row + diag + 1."""
    r = np.arange(n)
    return np.flatnonzero(r[None, :] < r[:, None] + (diag + 1))


def tril_matrix_to_vec(mat: Tensor, diag: int = 0) -> Tensor:
    """The lower-triangular entries (col <= row + diag) of the last two dims, in row order."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    flat = mat.reshape(tuple(mat.shape[:-2]) + (n * n,))
    return flat.index_select(-1, _creation.tensor(_tril_positions(n, diag), dtype=np.int64))


def vec_to_tril_matrix(vec: Tensor, diag: int = 0) -> Tensor:
    """The inverse of tril_matrix_to_vec: a D x D lower-triangular matrix filled in row order (zeros above)."""
    m = vec.shape[-1]
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * m + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    if abs(round(n) - n) > float(np.finfo(vec.dtype).eps):
        raise ValueError(f"The size of last dimension is {m} which cannot be expressed as the lower triangular "
                         "part of a square D x D matrix.")
    n = round(n)
    # gather from [0, vec...]: position 0 fills the entries outside the triangle
    index = np.zeros(n * n, dtype=np.int64)
    index[_tril_positions(n, diag)] = np.arange(1, m + 1)
    from .. import cat, zeros

    padded = cat([zeros(tuple(vec.shape[:-1]) + (1,), dtype=vec.dtype), vec], -1)
    out = padded.index_select(-1, _creation.tensor(index, dtype=np.int64))
    return out.reshape(tuple(vec.shape[:-1]) + (n, n))


def init_count_and_param(d: Any, total_count: Any, probs: Any, logits: Any) -> None:
    """Binomial-like families: total_count and exactly one of probs / logits, broadcast together; ``d._param``
    is the one given (its shape is the batch shape)."""
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")
    if probs is not None:
        d.total_count, d.probs = broadcast_all(total_count, probs)
        d._param = d.probs
    else:
        d.total_count, d.logits = broadcast_all(total_count, logits)
        d._param = d.logits
    d.total_count = d.total_count.type_as(d._param)


def expand_count_and_param(d: Any, new: Any, batch_shape: tuple) -> None:
    """The expand of what ``init_count_and_param`` set (probs and logits, whichever are already computed)."""
    new.total_count = d.total_count.expand(batch_shape)
    if "probs" in d.__dict__:
        new.probs = new._param = d.probs.expand(batch_shape)
    if "logits" in d.__dict__:
        new.logits = new._param = d.logits.expand(batch_shape)
