"""Diagonals and Einstein summation: ``diagonal`` / ``diag_embed`` (a pair of adjoint linear maps) and
``einsum``, whose backward is again an einsum (repeated labels become identity operands)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._function import Function


def _eye(n: int, dtype: Any) -> np.ndarray:
    return np.eye(n, dtype=dtype)


def diagonal_index(shape: tuple[int, ...], offset: int, dim1: int, dim2: int) -> tuple:
    """Index arrays that select the ``offset`` diagonal of dims (dim1, dim2) moved to the end."""
    n1, n2 = shape[dim1], shape[dim2]
    length = max(0, min(n1 - max(-offset, 0), n2 - max(offset, 0)))
    i = np.arange(length) + max(-offset, 0)
    return i, i + offset


class Diagonal(Function):
    """y = diagonal(x, offset, dim1, dim2) (diagonal appended as the last dim);  gx = diag_embed(g)"""

    def forward(self, x, offset, dim1, dim2):
        self.offset, self.dim1, self.dim2, self.shape = offset, dim1, dim2, x.shape
        return np.diagonal(x, offset, dim1, dim2).copy()  # numpy's view is read-only; PyTorch's is a view

    def backward(self, g):
        return self.xp.apply(DiagEmbed, g, shape=tuple(self.shape), offset=self.offset, dim1=self.dim1, dim2=self.dim2)

    def attrs(self):
        return {k: v for k, v in (("offset", self.offset), ("dim1", self.dim1), ("dim2", self.dim2))
                if v != {"offset": 0, "dim1": 0, "dim2": 1}[k]}


class DiagEmbed(Function):
    """y = zeros(shape) with x on the (offset, dim1, dim2) diagonal;  gx = diagonal(g)"""

    def forward(self, x, shape, offset, dim1, dim2):
        self.offset, self.dim1, self.dim2 = offset, dim1, dim2
        out = np.zeros(shape, dtype=x.dtype)
        i, j = diagonal_index(shape, offset, dim1, dim2)
        np.moveaxis(out, (dim1, dim2), (-2, -1))[..., i, j] = x
        return out

    def backward(self, g):
        return self.xp.apply(Diagonal, g, offset=self.offset, dim1=self.dim1, dim2=self.dim2)

    def attrs(self):
        return {"offset": self.offset} if self.offset else {}




class Einsum(Function):
    """y = einsum(spec, *xs);  g_xi = einsum(g, other operands -> subscript of xi), with ones for
    labels only xi has (broadcast back) and identity matrices for labels xi repeats (diagonals)"""

    saves_inputs = True
    is_view = True  # numpy returns a view for a pure transposition or diagonal of one operand, as PyTorch does

    def saved_needed(self):
        # one operand: its gradient is an einsum of g alone (a transposition, sum or diagonal), no values read
        return (False,) if len(self.next_functions) == 1 else None

    def forward(self, *xs, spec):
        self.spec = spec
        ins, out = spec
        y = np.einsum(",".join(ins) + "->" + out, *xs, optimize=_optimize(xs))
        # a contraction's result is a new tensor: C-ordered, as PyTorch's (numpy may return it transposed, so a
        # later reshape would copy where PyTorch's views); a pure transposition or diagonal stays a view
        if (len(xs) > 1 or set(ins[0]) - set(out)) and not y.flags.c_contiguous:
            y = np.ascontiguousarray(y)
        return y

    def backward(self, g):
        xs = self.saved()
        ins, out = self.spec
        grads = []
        for i in range(len(ins)):
            if not self.needs_input_grad(i):
                grads.append(None)
                continue
            grads.append(_einsum_operand_grad(self.xp, g, out, xs, ins, i))
        return tuple(grads)

    def attrs(self):
        return {"equation": ",".join(self.spec[0]) + "->" + self.spec[1]}


def _optimize(xs: Any) -> bool:
    # numpy's path search costs ~20 us; it pays off (BLAS contractions) beyond two small operands
    return len(xs) > 2 or sum(int(np.prod(x.shape)) for x in xs) > 4096


def _einsum_operand_grad(xp: Any, g: Any, out: str, xs: Any, ins: tuple, i: int) -> Any:
    sub = ins[i]
    others = [(s, x) for j, (s, x) in enumerate(zip(ins, xs)) if j != i]
    available = set(out).union(*[set(s) for s, _ in others])
    used = set("".join(ins)) | set(out)
    fresh = (c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used)
    sizes = dict(zip(sub, xs[i].shape))
    operands: list = [g] + [x for _, x in others]
    subs = [out] + [s for s, _ in others]
    target = []
    seen: set = set()
    for c in sub:
        if c in seen:  # a repeated label: the gradient lives on the diagonal (x_ii -> eye)
            c2 = next(fresh)
            operands.append(_eye(sizes[c], xs[i].dtype))
            subs.append(c + c2)
            target.append(c2)
            continue
        seen.add(c)
        if c not in available:  # summed away by this operand alone: the gradient is constant along it
            operands.append(np.ones(sizes[c], dtype=xs[i].dtype))
            subs.append(c)
        target.append(c)
    return xp.apply(Einsum, *operands, spec=(tuple(subs), "".join(target)))
