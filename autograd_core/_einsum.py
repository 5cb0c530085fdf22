"""``einsum``: parse the equation into explicit subscripts (ellipsis and size-1 broadcasting resolved)
and apply the ``Einsum`` op, whose backward is itself an einsum."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._tensor import Tensor
from .ops.einsum import Einsum

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _err(equation: str, msg: str) -> RuntimeError:
    return RuntimeError(f"einsum('{equation}'): {msg}")


def parse(equation: str, shapes: list[tuple[int, ...]]) -> tuple[list[str], str]:
    """Explicit subscripts per operand and for the output, with '...' replaced by fresh letters."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise _err(equation, f"the equation has {len(ins)} operand(s) but {len(shapes)} tensor(s) were given")
    for s in ins + ([rhs] if arrow else []):
        bad = set(s.replace("...", "")) - set(LETTERS)
        if bad or s.count("...") > 1:
            raise _err(equation, f"invalid subscript '{s}': use letters a-z / A-Z and at most one '...'")
    used = set(lhs.replace("...", "").replace(",", "")) | set(rhs.replace("...", ""))
    fresh = [c for c in LETTERS if c not in used]
    ell_nd = 0
    for s, shape in zip(ins, shapes):
        n_labels = len(s.replace("...", ""))
        if "..." in s:
            ell_nd = max(ell_nd, len(shape) - n_labels)
            if len(shape) < n_labels:
                raise _err(equation, f"subscript '{s}' has {n_labels} labels but its operand has shape "
                                     f"{list(shape)}")
        elif len(shape) != n_labels:
            raise _err(equation, f"subscript '{s}' has {n_labels} labels but its operand has {len(shape)} "
                                 f"dimension(s) (shape {list(shape)}); use '...' for extra leading dimensions")
    ell = "".join(fresh[:ell_nd])
    out_ins = []
    for s, shape in zip(ins, shapes):
        if "..." in s:
            k = len(shape) - len(s.replace("...", ""))
            s = s.replace("...", ell[ell_nd - k:] if k else "")
        out_ins.append(s)
    if arrow:
        out = rhs.replace("...", ell)
        if len(set(out)) != len(out):
            raise _err(equation, f"output subscript '{rhs}' repeats a label")
        missing = set(out) - set("".join(out_ins))
        if missing:
            raise _err(equation, f"output label(s) {sorted(missing)} do not appear in any input")
    else:  # implicit mode: broadcast dims first, then the labels seen exactly once, alphabetically
        joined = "".join(ins).replace("...", "")
        out = ell + "".join(sorted((c for c in set(joined) if joined.count(c) == 1),
                                   key=LETTERS.index))
    return out_ins, out


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation, e.g. einsum('bij,bjk->bik', a, b); operands may also be given as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ts = [o if isinstance(o, Tensor) else Tensor(np.asarray(o)) for o in operands]
    ins, out = parse(equation, [t.shape for t in ts])
    # Size per label; a size-1 dimension broadcasts against a larger one (it is squeezed away, and
    # the gradient of the squeeze restores it).
    sizes: dict[str, int] = {}
    for s, t in zip(ins, ts):
        for c, n in zip(s, t.shape):
            if sizes.get(c, 1) != 1 and n not in (1, sizes[c]):
                raise _err(equation, f"label '{c}' has size {sizes[c]} in one operand and {n} in another "
                                     f"(shapes {[list(t.shape) for t in ts]})")
            sizes[c] = max(sizes.get(c, n), n)
    final_ins = []
    for k, (s, t) in enumerate(zip(ins, ts)):
        drop = [i for i, c in enumerate(s) if t.shape[i] == 1 and sizes[c] > 1]
        if drop:
            keep = [i for i in range(len(s)) if i not in drop]
            t = t.reshape(tuple(t.shape[i] for i in keep))
            s = "".join(s[i] for i in keep)
            ts[k] = t
        final_ins.append(s)
    dtypes = [t.dtype for t in ts]
    shared = {c for c in set("".join(final_ins)) if sum(c in s for s in final_ins) > 1}
    if len(set(dtypes)) > 1 and not {c for c in shared - set(out) if sizes[c] > 1}:
        # no label of size > 1 is summed across operands (an outer or elementwise product): PyTorch multiplies
        # instead of calling bmm, and multiplication promotes
        common = np.result_type(*dtypes)
        ts = [t if t.dtype == common else t.to(common) for t in ts]
    elif len(set(dtypes)) > 1:
        # PyTorch refuses (its einsum is a batched matmul): promoting would silently turn a float32 model's
        # activations into float64
        raise RuntimeError(f"einsum(): expected scalar type {_torch_name(dtypes[0])} but found "
                           f"{_torch_name(next(d for d in dtypes if d != dtypes[0]))} (operand dtypes "
                           f"{[d.name for d in dtypes]}); cast the operands to one dtype first, e.g. b.to(a.dtype)")
    return Einsum.apply(*ts, spec=(tuple(final_ins), out))


def _torch_name(dt: np.dtype) -> str:
    return {"float64": "Double", "float32": "Float", "float16": "Half", "int64": "Long", "int32": "Int",
            "bool": "Bool"}.get(np.dtype(dt).name, np.dtype(dt).name)
