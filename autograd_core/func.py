"""``autograd_core.func``: PyTorch's ``torch.func`` function transforms on this engine.

``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd``, ``hessian``, ``vmap``, ``functional_call``
and ``stack_module_state``, with torch.func's signatures, pytree arguments (tuples, lists, dicts of tensors) and
error messages. They compose (``vmap(grad(f))``, ``jacrev(jacrev(f))``, ``grad(grad(f))``) because every transform
here differentiates with ``create_graph=True`` while another transform is running around it.

How they are built, and what that costs: the engine has reverse mode only, so ``jacfwd`` and ``jvp`` are reverse
mode too (``jvp`` by the double-backward trick: J^T u is linear in u, so d<J^T u, v>/du = J v) and give the same
values as PyTorch's forward mode; ``vmap`` calls the function once per slice of the mapped dimension and stacks
the results (the semantics of vmap, not its speed: no batching rules). Inside ``vmap`` the function sees
unbatched slices, so code that torch's vmap refuses (``.item()``, data-dependent shapes) simply runs here.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from . import _engine
from ._grad_mode import enable_grad
from ._tensor import Tensor
from .ops.shape import movedim, stack

__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "stack_module_state",
           "vjp", "vmap"]

_LEVEL = threading.local()  # how many differentiating transforms are running in this thread


# ---------------------------------------------------------------------- pytrees (tuple, list, dict, namedtuple)
def _flatten(tree: Any) -> tuple[list, Any]:
    """(leaves, spec): the leaves in order and what rebuilds the structure from them."""
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        kind, extra, items = "namedtuple", type(tree), list(tree)
    elif isinstance(tree, (tuple, list)):
        kind, extra, items = type(tree), None, list(tree)
    elif isinstance(tree, dict):
        kind, extra = dict, list(tree)
        items = [tree[k] for k in extra]
    else:
        return [tree], None
    parts = [_flatten(v) for v in items]
    return [x for p in parts for x in p[0]], (kind, extra, [p[1] for p in parts], [len(p[0]) for p in parts])


def _unflatten(leaves: Sequence, spec: Any) -> Any:
    if spec is None:
        return leaves[0]
    kind, extra, subs, sizes = spec
    out, i = [], 0
    for s, n in zip(subs, sizes):
        out.append(_unflatten(leaves[i:i + n], s))
        i += n
    if kind == "namedtuple":
        return extra(*out)
    if kind is dict:
        return dict(zip(extra, out))
    return kind(out)


def _describe(spec: Any) -> str:
    if spec is None:
        return "*"
    kind, extra, subs, _ = spec
    name = "namedtuple" if kind == "namedtuple" else kind.__name__
    inner = ", ".join(_describe(s) for s in subs)
    return f"{name}({inner})" if kind is not dict else "dict(" + ", ".join(
        f"{k}: {_describe(s)}" for k, s in zip(extra, subs)) + ")"


# ---------------------------------------------------------------------- differentiation
@contextlib.contextmanager
def _level() -> Iterator[None]:
    _LEVEL.n = getattr(_LEVEL, "n", 0) + 1
    try:
        with enable_grad():
            yield
    finally:
        _LEVEL.n -= 1


def _nested() -> bool:
    return getattr(_LEVEL, "n", 0) > 0


def _track(x: Any, api: str) -> Tensor:
    """The input as a tensor to differentiate against: connected to an enclosing graph when x is tracked there."""
    if not isinstance(x, Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
    if x.requires_grad:
        return x.view_as(x)  # an identity op: gradients flow to x's own graph as well
    if x.dtype.kind not in "fc":
        raise RuntimeError(f"{api}: can only differentiate with respect to floating-point tensors, got {x.dtype}; "
                           "convert it with .float() or .double(), or leave it out of argnums")
    return x.detach().requires_grad_(True)


def _keep(ts: list, inputs: list) -> list:
    """Results keep their graph when a transform encloses this one or the caller's inputs require grad."""
    if _nested() or any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
        return ts
    return [t.detach() if isinstance(t, Tensor) else t for t in ts]


def _argnums(argnums: Any, n: int) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums or not all(isinstance(a, int) for a in nums):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {argnums!r}")
    for a in nums:
        if not -n <= a < n:
            raise RuntimeError(f"Got argnum={a}, but only {n} positional inputs")
    return tuple(a % n for a in nums)


def _track_args(args: tuple, nums: tuple, api: str) -> tuple[list, list, list, list]:
    """(args with the argnums pytrees' leaves tracked, [(spec, n leaves)] per argnum, tracked leaves, given)."""
    args = list(args)
    specs, tracked, given = [], [], []
    for i in nums:
        leaves, spec = _flatten(args[i])
        given += leaves
        leaves = [_track(x, api) for x in leaves]
        args[i] = _unflatten(leaves, spec)
        specs.append((spec, len(leaves)))
        tracked += leaves
    return args, specs, tracked, given


def _regroup(flat: list, specs: list) -> list:
    """The per-argnum pytrees of a flat list of per-leaf results."""
    trees, k = [], 0
    for spec, n in specs:
        trees.append(_unflatten(flat[k:k + n], spec))
        k += n
    return trees


def _grads(outs: list, xs: list, cot: Any) -> list:
    gs = _engine.grad(outs, xs, cot, retain_graph=True, create_graph=True, allow_unused=True)
    return [g if g is not None else x.detach() * 0 for g, x in zip(gs, xs)]


def grad_and_value(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """A function returning (d func / d args[argnums], func(*args)) for a scalar-valued func (pytrees allowed)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums(argnums, len(args))
        with _level():
            args, specs, tracked, given = _track_args(args, nums, "grad")
            out = func(*args, **kwargs)
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("grad_and_value(f)(*args): output of function f should be a tuple: "
                                       "(output, aux) if has_aux is True")
                out, aux = out
            if not isinstance(out, Tensor):
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got {type(out)}")
            if out.ndim != 0:
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                                   f"tensor with {out.ndim} dims. Maybe you wanted to use the vjp or jacrev APIs "
                                   "instead?")
            gs = _grads([out], tracked, None)
        gs = _keep(gs, given)
        out = _keep([out], given)[0]
        trees = _regroup(gs, specs)
        g = trees[0] if isinstance(argnums, int) else tuple(trees)
        if has_aux:
            aux_leaves, aux_spec = _flatten(aux)
            return g, (out, _unflatten(_keep(aux_leaves, given), aux_spec))
        return g, out

    return wrapper


def grad(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """The gradient function of a scalar func: ``grad(f)(x)`` is df/dx (``(df/dx, aux)`` with has_aux)."""
    gv = grad_and_value(func, argnums, has_aux)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g, rest = gv(*args, **kwargs)
        return (g, rest[1]) if has_aux else g

    return wrapper


def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """(func(*primals), vjp_fn[, aux]) where vjp_fn(cotangents) gives v^T J for each primal (a tuple)."""
    leaves, spec = _flatten(primals)
    with _level():
        tracked = [_track(x, "vjp") for x in leaves]
        out = func(*_unflatten(tracked, spec))
        aux = None
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise RuntimeError("vjp(f, *primals): output of function f should be a tuple: (output, aux) if "
                                   "has_aux is True")
            out, aux = out
    out_leaves, out_spec = _flatten(out)
    for o in out_leaves:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"vjp(f, *primals): Expected f to be a function that has non-empty output (Tensors), "
                               f"got {type(o)}")
    outer = _nested() or any(x.requires_grad for x in leaves)

    def vjp_fn(*cotangents: Any) -> tuple:
        cot = cotangents[0] if len(cotangents) == 1 else cotangents
        c_leaves, c_spec = _flatten(cot)
        if _describe(c_spec) != _describe(out_spec) or len(c_leaves) != len(out_leaves):
            raise RuntimeError(f"Expected pytree structure of cotangents to be the same as pytree structure of "
                               f"outputs to the function. cotangents: {_describe(c_spec)}, primal output: "
                               f"{_describe(out_spec)}")
        for c, o in zip(c_leaves, out_leaves):
            if tuple(c.shape) != tuple(o.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output has a shape of {tuple(c.shape)} and output has "
                                   f"a shape of {tuple(o.shape)}")
        with _level():
            gs = _grads(out_leaves, tracked, c_leaves)
        if not (outer or _nested() or any(c.requires_grad for c in c_leaves)):
            gs = [g.detach() for g in gs]
        return _unflatten(gs, spec)

    shown = out if outer else _unflatten([o.detach() for o in out_leaves], out_spec)
    return (shown, vjp_fn, aux) if has_aux else (shown, vjp_fn)


def jvp(func: Callable, primals: Any, tangents: Any, *, strict: bool = False, has_aux: bool = False) -> tuple:
    """(func(*primals), J tangents[, aux]): the Jacobian-vector product (values of forward mode, by reverse mode)."""
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to be tuples. E.g. "
                           "jvp(f, (x,), (t,))")
    p_leaves, spec = _flatten(primals)
    t_leaves, t_spec = _flatten(tangents)
    if _describe(spec) != _describe(t_spec):
        raise RuntimeError(f"jvp(f, primals, tangents): Expected primals and tangents to have the same python "
                           f"structure. primals: {_describe(spec)}, tangents: {_describe(t_spec)}")
    for p, t in zip(p_leaves, t_leaves):
        if not isinstance(t, Tensor) or tuple(t.shape) != tuple(p.shape):
            raise RuntimeError(f"jvp(f, primals, tangents): Expected primals and tangents to have the same shape, "
                               f"got {tuple(p.shape)} and {tuple(getattr(t, 'shape', ()))}")
    with _level():
        tracked = [_track(x, "jvp") for x in p_leaves]
        out = func(*_unflatten(tracked, spec))
        aux = None
        if has_aux:
            out, aux = out
        o_leaves, o_spec = _flatten(out)
        us = [(o.detach() * 0).requires_grad_(True) for o in o_leaves]  # dummy cotangents
        jt_u = _grads(o_leaves, tracked, us)  # J^T u, linear in u
        gs = _engine.grad(jt_u, us, t_leaves, retain_graph=True, create_graph=True, allow_unused=True)
        gs = [g if g is not None else o.detach() * 0 for g, o in zip(gs, o_leaves)]
    keep_from = p_leaves + t_leaves
    res = (_unflatten(_keep(o_leaves, keep_from), o_spec), _unflatten(_keep(gs, keep_from), o_spec))
    return (*res, aux) if has_aux else res


def _jacobian(func: Callable, argnums: Any, has_aux: bool, api: str) -> Callable:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums(argnums, len(args))
        with _level():
            args, specs, tracked, given = _track_args(args, nums, api)
            out = func(*args, **kwargs)
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError(f"{api}(f, ...)(*args): output of function f should be a tuple: (output, aux) "
                                       "if has_aux is True")
                out, aux = out
            o_leaves, o_spec = _flatten(out)
            for o in o_leaves:
                if not isinstance(o, Tensor):
                    raise RuntimeError(f"{api}(f, ...)(*args): Expected f(*args) to return only tensors, got "
                                       f"unsupported type {type(o)}")
            per_out = []
            for o in o_leaves:
                rows = []
                flat = o.reshape(-1)
                for k in range(flat.shape[0]):  # one backward pass per output element (reverse mode)
                    rows.append(_grads([flat[k]], tracked, None))
                jacs = []
                for j, x in enumerate(tracked):
                    col = stack([r[j] for r in rows]) if rows else x.detach().reshape(1, -1)[:0] * 0
                    jacs.append(col.reshape(tuple(o.shape) + tuple(x.shape)))
                per_out.append(jacs)
        result = []
        for jacs in per_out:
            trees = _regroup(_keep(jacs, given), specs)
            result.append(trees[0] if isinstance(argnums, int) else tuple(trees))
        jac = _unflatten(result, o_spec)
        if has_aux:
            a_leaves, a_spec = _flatten(aux)
            return jac, _unflatten(_keep(a_leaves, given), a_spec)
        return jac

    return wrapper


def jacrev(func: Callable, argnums: int | tuple[int, ...] = 0, *, has_aux: bool = False, chunk_size: int | None = None,
           _preallocate_and_copy: bool = False) -> Callable:
    """The Jacobian of func w.r.t. args[argnums], shape output.shape + input.shape (reverse mode, row by row)."""
    return _jacobian(func, argnums, has_aux, "jacrev")


def jacfwd(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable:
    """The Jacobian of func, as jacrev (computed by reverse mode here: the same values as forward mode)."""
    return _jacobian(func, argnums, has_aux, "jacfwd")


def hessian(func: Callable, argnums: int | tuple[int, ...] = 0) -> Callable:
    """The Hessian of a scalar func: jacfwd(jacrev(func)), shape input.shape + input.shape."""
    return jacfwd(jacrev(func, argnums), argnums)


# ---------------------------------------------------------------------- vmap
def _broadcast_dims(in_dims: Any, args: tuple, name: str) -> list:
    """in_dims expanded to one entry (int or None) per leaf of args, checked against the structure."""
    leaves, spec = _flatten(args)
    if isinstance(in_dims, int) or in_dims is None:
        return [in_dims] * len(leaves)
    if not isinstance(in_dims, tuple):
        raise ValueError(f"vmap({name}, in_dims={in_dims!r}, ...)(<inputs>): expected `in_dims` to be int or a "
                         f"(potentially nested) tuple matching the structure of inputs, got: {type(in_dims)}.")

    def expand(d: Any, sub: Any) -> list:
        s_leaves, s_spec = _flatten(sub)
        if isinstance(d, int) or d is None:
            return [d] * len(s_leaves)
        d_leaves, d_spec = _flatten(d)
        if _describe(d_spec) != _describe(s_spec):
            raise ValueError(f"vmap({name}, in_dims={in_dims!r}, ...)(<inputs>): in_dims is not compatible with "
                             f"the structure of `inputs`. in_dims has structure {_describe(d_spec)} but inputs has "
                             f"structure {_describe(s_spec)}.")
        return d_leaves

    if len(in_dims) != len(args):
        raise ValueError(f"vmap({name}, in_dims={in_dims!r}, ...)(<inputs>): in_dims is not compatible with the "
                         f"structure of `inputs`. in_dims has structure {_describe(_flatten(in_dims)[1])} but inputs "
                         f"has structure {_describe(spec)}.")
    return [d for dd, a in zip(in_dims, args) for d in expand(dd, a)]


def vmap(func: Callable, in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """func mapped over a dimension of its inputs: the results of each slice stacked along out_dims."""
    name = getattr(func, "__name__", "func")
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        dims = _broadcast_dims(in_dims, args, name)
        leaves, spec = _flatten(args)
        sizes = []
        for x, d in zip(leaves, dims):
            if d is None:
                continue
            if not isinstance(x, Tensor):
                raise ValueError(f"vmap({name}, in_dims={in_dims!r}, ...)(<inputs>): Got in_dim={d} for an input "
                                 f"but the input is of type {type(x)}. We cannot vmap over non-Tensor arguments, "
                                 "please use None as the respective in_dim")
            if not -x.ndim <= d < max(x.ndim, 0) or x.ndim == 0:
                raise ValueError(f"vmap({name}, in_dims={in_dims!r}, ...)(<inputs>): Got in_dim={d} for some input, "
                                 f"but that input is a Tensor of dimensionality {x.ndim} so expected in_dim to satisfy "
                                 f"-{x.ndim} <= in_dim < {x.ndim}.")
            sizes.append(x.shape[d])
        if not sizes:
            raise ValueError(f"vmap({name}, in_dims={in_dims!r}, ...)(<inputs>): at least one input must be a Tensor "
                             "mapped over a dimension (in_dims all None or no Tensor inputs)")
        if len(set(sizes)) != 1:
            raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                             f"{sizes} for the mapped dimension")
        outs = []
        for b in range(sizes[0]):
            sliced = [x.select(d, b) if d is not None else x for x, d in zip(leaves, dims)]
            outs.append(func(*_unflatten(sliced, spec), **kwargs))
        o_leaves0, o_spec = _flatten(outs[0])
        if isinstance(out_dims, int) or out_dims is None:
            o_dims = [out_dims] * len(o_leaves0)
        else:
            o_dims, od_spec = _flatten(out_dims)
            if len(o_dims) == 1 and len(o_leaves0) > 1:
                o_dims = o_dims * len(o_leaves0)
            elif len(o_dims) != len(o_leaves0):
                raise ValueError(f"vmap({name}, ..., out_dims={out_dims!r})(<inputs>): out_dims is not compatible "
                                 f"with the structure of `outputs`. out_dims has structure {_describe(od_spec)} but "
                                 f"outputs has structure {_describe(o_spec)}.")
        per_slice = [_flatten(o)[0] for o in outs]
        result = []
        for j, d in enumerate(o_dims):
            col = [p[j] for p in per_slice]
            if d is None:
                result.append(col[0])
                continue
            if not all(isinstance(c, Tensor) for c in col):
                raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(col[0])}. "
                                 "Did you mean to set out_dims= to None for output?")
            st = stack(col)
            nd = st.ndim
            if not -nd <= d < nd:
                raise ValueError(f"vmap({name}, ..., out_dims={out_dims!r}): out_dim={d} is out of range for an "
                                 f"output of dimensionality {nd} (with the mapped dimension)")
            result.append(movedim(st, 0, d % nd) if d % nd else st)
        return _unflatten(result, o_spec)

    return wrapper


# ---------------------------------------------------------------------- modules as functions
def _owner(module: Any, path: str) -> tuple[Any, str]:
    *parents, leaf = path.split(".")
    m = module
    for p in parents:
        m = getattr(m, p)
    return m, leaf


def functional_call(module: Any, parameter_and_buffer_dicts: Any, args: Any = None, kwargs: dict | None = None, *,
                    tie_weights: bool = True, strict: bool = False) -> Any:
    """module(*args, **kwargs) with its parameters and buffers replaced, for this call only, by the given tensors
    (by their ``named_parameters`` / ``named_buffers`` names); the module itself is left as it was."""
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, dict):
        merged = dict(dicts)
    else:
        merged = {}
        for d in dicts:
            dup = set(merged) & set(d)
            if dup:
                raise ValueError(f"{sorted(dup)} appeared in multiple dictionaries; behavior of functional call is "
                                 "ambiguous")
            merged.update(d)
    names = dict(module.named_parameters(remove_duplicate=False))
    names.update(dict(module.named_buffers(remove_duplicate=False)))
    if strict:
        missing = sorted(set(names) - set(merged))
        unexpected = sorted(set(merged) - set(names))
        if missing or unexpected:
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t"
                               + (f"Unexpected key(s): {', '.join(map(repr, unexpected))}.\n\t" if unexpected else "")
                               + (f"Missing key(s): {', '.join(map(repr, missing))}." if missing else ""))
    if tie_weights:  # a tensor shared under two names follows the value given for either
        by_id: dict[int, list[str]] = {}
        for n, t in names.items():
            by_id.setdefault(id(t), []).append(n)
        for group in by_id.values():
            given = [n for n in group if n in merged]
            for n in group:
                if given and n not in merged:
                    merged[n] = merged[given[0]]
    saved = []
    try:
        for path, value in merged.items():
            owner, leaf = _owner(module, path)
            store = owner._parameters if leaf in owner._parameters else (
                owner._buffers if leaf in owner._buffers else None)
            if store is None:
                raise AttributeError(f"functional_call: {type(module).__name__} has no parameter or buffer named "
                                     f"'{path}'")
            saved.append((store, leaf, store[leaf]))
            store[leaf] = value  # the dict entry directly: a plain Tensor may stand in for a Parameter
        if args is None:
            args = ()
        elif not isinstance(args, tuple):
            args = (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for store, leaf, old in reversed(saved):
            store[leaf] = old


def stack_module_state(models: Sequence[Any]) -> tuple[dict, dict]:
    """(params, buffers): each parameter and buffer of the same-structured models stacked along a new first
    dimension, for ``vmap(functional_call)`` ensembles; the stacked parameters are new leaves requiring grad."""
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or not any(m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")
    first = type(models[0])
    if not all(type(m) is first for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    params = {n: stack([dict(m.named_parameters())[n].detach() for m in models]).requires_grad_(p.requires_grad)
              for n, p in models[0].named_parameters()}
    buffers = {n: stack([dict(m.named_buffers())[n] for m in models]) for n, _ in models[0].named_buffers()}
    return params, buffers

