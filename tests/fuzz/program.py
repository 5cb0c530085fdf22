"""Program generator, runner (autograd_core vs torch), comparison, shrinker and reproducer printer."""

from __future__ import annotations

import ast
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from . import known
from .ops import OPS_BY_NAME, REGISTRY, OpSpec, lit

FLOATS = ("float32", "float64")
PHASES = ("forward", "grad", "gradgrad")


# ---------------------------------------------------------------------- program representation
@dataclass
class Input:
    name: str
    base: np.ndarray  # the array the input is a view of (a larger array when non-contiguous)
    view: str  # numpy indexing / transpose applied to ``base``: "", ".T", "[:, ::2]", ...
    rg: bool  # requires grad (float inputs only)

    def array(self) -> np.ndarray:
        b = self.base.copy()
        return eval("b" + self.view, {"b": b}) if self.view else b  # noqa: S307 - our own view strings


@dataclass
class Node:
    op: str
    args: list[str]
    params: dict
    outs: list[str]

    def source(self) -> str:
        spec = OPS_BY_NAME[self.op]
        code = spec.code(self.args, self.params)
        if spec.stmt:
            return code.format(**{f"o{i}": o for i, o in enumerate(self.outs)})
        if spec.multi:
            return f"{', '.join(self.outs)}{',' if len(self.outs) == 1 else ''} = {code}"
        return f"{self.outs[0]} = {code}"


@dataclass
class Program:
    seed: int
    inputs: list[Input]
    nodes: list[Node]
    outputs: list[str]

    def ops(self) -> list[str]:
        return [n.op for n in self.nodes]

    def source(self) -> str:
        return "\n".join(n.source() for n in self.nodes)

    def float_dtypes(self) -> set:
        return {i.base.dtype.name for i in self.inputs if i.base.dtype.name in FLOATS}


# ---------------------------------------------------------------------- engines
class Engine:
    """How one library runs a program: its namespaces, leaves, grad and array conversion."""

    def __init__(self, name: str) -> None:
        self.name = name
        if name == "ag":
            import autograd_core.nn.functional as agF

            import autograd_core as ag

            self.lib = ag
            self.ns = {"M": ag, "F": agF, "LA": ag.linalg, "C": ag.tensor, "np": np}
            self.tensor_type = ag.Tensor
        else:
            import torch

            self.lib = torch
            self.ns = {"M": torch, "F": torch.nn.functional, "LA": torch.linalg, "C": torch.as_tensor, "np": np}
            self.tensor_type = torch.Tensor

    def leaf(self, a: np.ndarray, rg: bool) -> Any:
        if self.name == "ag":
            t = self.lib.from_numpy(a)  # shares memory: keeps the input's strides (non-contiguous cases)
        else:
            t = self.lib.from_numpy(np.array(a, copy=True))  # torch refuses negative strides; a copy is fine
        return t.requires_grad_() if rg else t

    def const(self, a: np.ndarray) -> Any:
        return self.lib.from_numpy(np.array(a, copy=True))

    def grad(self, outs: list, ins: list, gouts: list, create_graph: bool) -> list:
        if self.name == "ag":
            return list(self.lib.grad(outs, ins, gouts, create_graph=create_graph, allow_unused=True))
        return list(self.lib.autograd.grad(outs, ins, gouts, create_graph=create_graph, allow_unused=True))

    def is_tensor(self, x: Any) -> bool:
        return isinstance(x, self.tensor_type)

    def np(self, t: Any) -> np.ndarray:
        if self.name == "torch":
            t = t.detach()
            if t._is_zerotensor():
                # torch-side bug (known.RUNNER_WORKAROUNDS): converting some ZeroTensor views segfaults
                return np.zeros(tuple(t.shape), dtype=str(t.dtype).replace("torch.", ""))
            return t.numpy(force=True)
        return np.asarray(t.detach().numpy())

    def dtype(self, t: Any) -> str:
        return np.dtype(t.dtype).name if self.name == "ag" else str(t.dtype).replace("torch.", "")


_ENGINES: dict[str, Engine] = {}


def engine(name: str) -> Engine:
    if name not in _ENGINES:
        _ENGINES[name] = Engine(name)
    return _ENGINES[name]


_CODE_CACHE: dict[str, Any] = {}


def _exec(src: str, ns: dict) -> None:
    code = _CODE_CACHE.get(src)
    if code is None:
        if len(_CODE_CACHE) > 20000:
            _CODE_CACHE.clear()
        code = _CODE_CACHE[src] = compile(src, "<fuzz program>", "exec")
    exec(code, ns)  # noqa: S102 - the fuzzer's own generated source


# ---------------------------------------------------------------------- generation
@dataclass
class V:
    """A value in the program being generated (metadata from the torch run)."""

    name: str
    shape: tuple
    dtype: str
    leaf: bool
    rg: bool


def _data(rng: np.random.Generator, shape: tuple, kind: str) -> np.ndarray:
    n = int(np.prod(shape))
    if kind == "pos":
        a = rng.uniform(0.5, 2.0, n)
    elif kind == "away":
        a = rng.uniform(0.2, 2.0, n) * rng.choice([-1.0, 1.0], n)
    elif kind == "uniq":
        a = rng.permutation(n) * 0.37 - n * 0.15 + rng.uniform(0, 0.05, n)
    elif kind == "unit":
        a = rng.uniform(0.05, 0.95, n)
    elif kind == "int":
        a = rng.integers(-3, 4, n)
    elif kind == "int_pos":
        a = rng.integers(0, 5, n)
    elif kind == "int_away":
        a = rng.integers(1, 4, n) * rng.choice([-1, 1], n)
    elif kind == "bool":
        a = rng.random(n) < 0.5
    else:
        a = rng.standard_normal(n)
    return a.reshape(shape)


class Ctx:
    """What an op's generator sees: the values so far, new inputs, and the random stream."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.fdt = "float64" if self.rng.random() < 0.7 else "float32"
        self.zero_size = self.rng.random() < 0.06
        self.inputs: list[Input] = []
        self.nodes: list[Node] = []
        self.pool: list[V] = []
        self.torch = engine("torch")
        self.ns = dict(self.torch.ns)
        self.counter = 0

    # random helpers used by the op generators
    def choice(self, seq: Any) -> Any:
        seq = list(seq)
        return seq[int(self.rng.integers(0, len(seq)))]

    def shape(self, min_nd: int = 0, max_nd: int = 4) -> tuple:
        nd = int(self.rng.integers(min_nd, max_nd + 1))
        s = [int(self.rng.choice([1, 2, 3, 4, 5], p=[0.2, 0.3, 0.25, 0.15, 0.1])) for _ in range(nd)]
        if self.zero_size and s and self.rng.random() < 0.5:
            s[int(self.rng.integers(0, nd))] = 0
        return tuple(s)

    def value(self, v: V) -> np.ndarray:
        return self.ns[v.name].detach().numpy()

    def in_domain(self, v: V, **kw: Any) -> bool:
        from .ops import in_domain

        return in_domain(self, v, **kw)

    def domain_ok(self, v: V, kind: str) -> bool:
        return self.in_domain(v, **{"pos": dict(lo=0.05), "away": dict(away=0.1)}.get(kind, {}))

    def torch_index_shape(self, v: V, idx: tuple) -> tuple:
        from .ops import idx_src

        ns = dict(self.ns)
        _exec(f"__s = tuple({v.name}[{idx_src(idx)}].shape)", ns)
        return ns["__s"]

    def pick(self, pred: Callable[[V], bool]) -> V | None:
        """A value satisfying ``pred``, usually a recent one (chains), sometimes an older one (fan-out)."""
        if self.rng.random() < 0.12:
            return None
        cands = [v for v in self.pool if pred(v)]
        if not cands:
            return None
        if self.rng.random() < 0.6:
            return cands[-1]
        return cands[int(self.rng.integers(0, len(cands)))]

    def fresh(self, shape: tuple, kind: str = "normal", dtype: str | None = None, rg: bool | None = None) -> V:
        shape = tuple(int(s) for s in shape)
        dtype = dtype or (self.fdt if kind not in ("int", "int_pos", "int_away", "bool") else
                          ("bool" if kind == "bool" else "int64"))
        data = _data(self.rng, shape, kind).astype(dtype)
        base, view = data, ""
        if shape and data.size and self.rng.random() < 0.25:
            base, view = _noncontiguous(self.rng, data)
        if rg is None:
            rg = dtype in FLOATS and self.rng.random() < 0.9
        rg = bool(rg and dtype in FLOATS)
        name = f"x{len(self.inputs)}"
        inp = Input(name, base, view, rg)
        self.inputs.append(inp)
        self.ns[name] = self.torch.leaf(inp.array(), rg)
        v = V(name, shape, dtype, True, rg)
        self.pool.append(v)
        return v

    # state handling: an op torch rejects is rolled back
    def snapshot(self) -> tuple:
        return len(self.inputs), len(self.nodes), len(self.pool)

    def restore(self, snap: tuple) -> None:
        ni, nn, npool = snap
        del self.inputs[ni:], self.nodes[nn:], self.pool[npool:]
        self.ns = dict(self.torch.ns)
        for inp in self.inputs:
            self.ns[inp.name] = self.torch.leaf(inp.array(), inp.rg)
        for node in self.nodes:
            _exec(node.source(), self.ns)

    def add_node(self, spec: OpSpec, args: list[V], params: dict) -> list[V]:
        """Run the op in torch; register its outputs. Raises whatever torch raises."""
        names = [a.name for a in args]
        base = f"v{self.counter}"
        if spec.multi:
            _exec(f"__r = tuple({spec.code(names, params)})", self.ns)
            outs = [f"{base}_{i}" for i in range(len(self.ns["__r"]))]
        elif spec.stmt:
            outs = [f"{base}_{i}" for i in range(3)] if spec.name == "factorizations" else [base]
            if spec.name == "factorizations" and params["fn"] != "svd":
                outs = outs[:2]
        else:
            outs = [base]
        node = Node(spec.name, names, params, outs)
        _exec(node.source(), self.ns)
        self.counter += 1
        self.nodes.append(node)
        new = []
        for o in outs:
            t = self.ns[o]
            if not self.torch.is_tensor(t):
                raise TypeError(f"{spec.name} returned {type(t).__name__}, not a tensor")
            v = V(o, tuple(t.shape), self.torch.dtype(t), False, bool(t.requires_grad))
            new.append(v)
        self.pool.extend(new)
        return new


def _noncontiguous(rng: np.random.Generator, data: np.ndarray) -> tuple[np.ndarray, str]:
    """A larger/permuted base array and a view of it that equals ``data`` (non-contiguous)."""
    nd = data.ndim
    r = rng.random()
    if nd >= 2 and r < 0.4:
        perm = rng.permutation(nd)
        while nd > 1 and (perm == np.arange(nd)).all():
            perm = rng.permutation(nd)
        inv = np.argsort(perm)
        base = np.ascontiguousarray(data.transpose(inv))
        return base, f".transpose({', '.join(str(int(p)) for p in perm)})"
    d = int(rng.integers(0, nd))
    shape = list(data.shape)
    sl = [":"] * nd
    if r < 0.75:
        shape[d] = 2 * shape[d]
        sl[d] = "::2"
        base = np.zeros(shape, dtype=data.dtype) + np.asarray(7, dtype=data.dtype)  # junk between the elements
        idx = [slice(None)] * nd
        idx[d] = slice(None, None, 2)
        base[tuple(idx)] = data
    else:
        sl[d] = "::-1"
        base = np.ascontiguousarray(np.flip(data, d))
    return base, "[" + ", ".join(sl) + "]"


def generate(seed: int, force: str | None = None, max_ops: int = 6, error_rate: float = 0.12) -> Program:
    """A random program. ``force`` names the op tried first (the CI slice cycles through the registry)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return _generate(seed, force, max_ops, error_rate)


def _generate(seed: int, force: str | None, max_ops: int, error_rate: float) -> Program:
    ctx = Ctx(seed)
    n_ops = int(ctx.rng.integers(1, max_ops + 1))
    errored = False
    pending = force  # an op that needs an existing value (in-place ops) may only fit at a later step
    k = 0
    while k < n_ops or (pending and k < n_ops + 2):
        k += 1
        for attempt in range(30):
            use_force = pending is not None and attempt < 12
            spec = OPS_BY_NAME[pending] if use_force else REGISTRY[int(ctx.rng.integers(0, len(REGISTRY)))]
            snap = ctx.snapshot()
            try:
                g = spec.gen(ctx)
                if g is None:
                    ctx.restore(snap)
                    continue
                ctx.add_node(spec, *g)
                if use_force:
                    pending = None
                break
            except Exception:  # noqa: BLE001 - torch rejected the call
                if ctx.rng.random() < error_rate and len(ctx.nodes) > snap[1] and pending is None:
                    errored = True  # keep it: an error program (autograd_core must raise the same type)
                    break
                ctx.restore(snap)
        if errored:
            break
    if not ctx.nodes:
        ctx.fresh(ctx.shape(), "normal")
        ctx.add_node(OPS_BY_NAME["exp"], [ctx.pool[-1]], {"form": "method"})
    last = ctx.nodes[-1].outs
    consumed = {a for n in ctx.nodes for a in n.args}
    extra = [o for n in ctx.nodes[:-1] for o in n.outs if o not in consumed and ctx.rng.random() < 0.5]
    return Program(seed, ctx.inputs, ctx.nodes, extra + last)


# ---------------------------------------------------------------------- running
@dataclass
class Run:
    """What one engine did with a program."""

    error: tuple[str, BaseException] | None = None  # (phase, exception)
    outs: list = field(default_factory=list)  # (array, dtype, requires_grad) per output, or None if not a tensor
    grads: list | None = None  # per grad-requiring input: (array, dtype) or None
    gg: list | None = None
    used_gg: bool = False
    any_f32: bool = False  # some value of the program (an input or an intermediate) was float32


def _upstream(prog: Program, k: int, shape: tuple, dtype: str, salt: int) -> np.ndarray:
    """The random upstream gradient of output ``k`` (salt 1) or direction ``v`` of input ``k`` (salt 2)."""
    return np.random.default_rng([prog.seed, salt, k]).standard_normal(shape).astype(dtype)


def run_engine(prog: Program, name: str, sel: list[tuple[int, tuple, str]] | None = None, perturb: float = 0.0,
               upcast: bool = False, contiguous: bool = False) -> Run:
    """Run ``prog`` in one engine: forward, first gradients (random upstream), second derivatives.

    ``sel`` lists the outputs to differentiate as (index, shape, dtype) -- torch's, so that both
    engines use the same upstream gradients; by default every float output that requires grad.
    """
    eng = engine(name)
    ns = dict(eng.ns)
    res = Run()
    leaves = []
    prng = np.random.default_rng(12345)
    for inp in prog.inputs:
        a = inp.array()
        if upcast and a.dtype == np.float32:
            a = a.astype(np.float64)
        if perturb and a.dtype.kind == "f":
            a = a * (1 + perturb * prng.standard_normal(a.shape))
        if contiguous:
            a = np.ascontiguousarray(a)  # (np.array(a, copy=True) would keep a permuted layout: order K)
        if name == "torch" and not (upcast or perturb or contiguous) and inp.view and "::-1" not in inp.view:
            t = _strided_torch_leaf(inp)  # the same strides as ours (view() and in-place semantics depend on them)
        else:
            t = eng.leaf(a, inp.rg)
        ns[inp.name] = t
        if inp.rg:
            leaves.append(t)
    phase = "forward"
    restore = None
    if upcast and name == "torch":  # int -> float ops then compute in float64 too (the noise reference)
        import torch

        restore = torch.get_default_dtype()
        torch.set_default_dtype(torch.float64)
    try:
        for node in prog.nodes:
            _exec(node.source(), ns)
        res.any_f32 = any(eng.is_tensor(v) and eng.dtype(v) == "float32" for v in ns.values())
        outs = [ns[o] for o in prog.outputs]
        for o in outs:
            if eng.is_tensor(o):
                res.outs.append((eng.np(o).copy(), eng.dtype(o), bool(o.requires_grad)))
            else:
                res.outs.append(None)
        if sel is None:
            sel = [(k, tuple(o.shape), eng.dtype(o)) for k, o in enumerate(outs)
                   if eng.is_tensor(o) and o.requires_grad and eng.dtype(o) in FLOATS]
        # an output ours does not record (reported as a forward failure) cannot be differentiated
        sel = [s for s in sel if eng.is_tensor(outs[s[0]]) and outs[s[0]].requires_grad]
        if not sel or not leaves:
            return res
        phase = "grad"
        diff = [outs[k] for k, _, _ in sel]
        us = [eng.lib.from_numpy(_upstream(prog, k, shape, dt, 1)) for k, shape, dt in sel]
        all64 = all(eng.dtype(t) == "float64" for t in leaves) and all(dt == "float64" for _, _, dt in sel)
        res.used_gg = all64
        gs = eng.grad(diff, leaves, us, create_graph=all64)
        res.grads = [None if g is None else (eng.np(g).copy(), eng.dtype(g)) for g in gs]
        if not all64:
            return res
        phase = "gradgrad"
        terms = [(g * eng.lib.from_numpy(_upstream(prog, k, tuple(t.shape), "float64", 2))).sum()
                 for k, (g, t) in enumerate(zip(gs, leaves)) if g is not None and g.requires_grad]
        if not terms:
            res.gg = [None] * len(leaves)
            return res
        s = terms[0]
        for t in terms[1:]:
            s = s + t
        ggs = eng.grad([s], leaves, [eng.lib.ones_like(s)], create_graph=False)
        res.gg = [None if g is None else (eng.np(g).copy(), eng.dtype(g)) for g in ggs]
    except Exception as e:  # noqa: BLE001 - compared with the other engine's behaviour
        res.error = (phase, e)
    finally:
        if restore is not None:
            import torch

            torch.set_default_dtype(restore)
    return res


def _strided_torch_leaf(inp: Input) -> Any:
    """The torch leaf for a non-contiguous input, with the same strides as autograd_core's (negative steps
    excepted: torch has none): the view of a base tensor, detached into a leaf that keeps its strides."""
    import torch

    b = torch.from_numpy(inp.base.copy())
    view = inp.view.replace(".transpose(", ".permute(")  # numpy's transpose(perm) is torch's permute(perm)
    t = eval("b" + view, {"b": b}).detach()  # noqa: S307 - our own view strings
    return t.requires_grad_() if inp.rg else t


# ---------------------------------------------------------------------- comparison
@dataclass
class Failure:
    kind: str  # "<phase>:<what>", e.g. forward:value, grad:dtype, forward:exc_type
    where: str  # output / input name
    detail: str
    known: str | None = None  # id of the known difference that explains it


@dataclass
class Result:
    prog: Program
    status: str  # pass | fail | known | noisy
    failures: list[Failure]
    ours: Run | None = None
    theirs: Run | None = None
    noisy: int = 0


def _builtin_base(e: BaseException) -> type:
    for c in type(e).__mro__:
        if c.__module__ == "builtins":
            return c
    return Exception


def _tol(dtype: str) -> tuple[float, float]:
    return (1e-7, 1e-7) if dtype == "float64" else (2e-4, 2e-4)


def compare_arrays(a: np.ndarray, b: np.ndarray, dtype: str, noise: np.ndarray | None = None) -> str | None:
    """None when ``a`` (ours) matches ``b`` (torch); else a short description of the difference.

    Floats: NaN and +-inf positions must match exactly; finite values within rtol*|b| plus an
    absolute term relative to b's largest finite magnitude (cancellation in long chains), widened
    by ``noise`` -- torch's own spread under tiny input perturbations, or float32 vs float64 --
    which marks ill-conditioned elements rather than wrong ones.
    """
    if a.shape != b.shape:
        return f"shape {a.shape} vs torch {b.shape}"
    if a.dtype.kind == "b" or b.dtype.kind in "biu":
        bad = a != b
        if bad.any():
            i = tuple(int(k) for k in np.argwhere(bad)[0])
            return f"{int(bad.sum())} of {a.size} elements differ, first at {i}: ours {a[i]!r} vs torch {b[i]!r}"
        return None
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    rtol, atol = _tol(dtype)
    for what, fa, fb in (("nan", np.isnan(a64), np.isnan(b64)), ("+inf", a64 == np.inf, b64 == np.inf),
                         ("-inf", a64 == -np.inf, b64 == -np.inf)):
        bad = fa != fb
        if noise is not None:
            bad &= ~np.isnan(noise)
        if bad.any():
            i = tuple(int(k) for k in np.argwhere(bad)[0])
            return (f"{what} positions differ at {int(bad.sum())} elements, first at {i}: "
                    f"ours {a[i]!r} vs torch {b[i]!r}")
    fin = np.isfinite(a64) & np.isfinite(b64)
    if not fin.any():
        return None
    scale = float(np.abs(b64[fin]).max())
    err = np.where(fin, np.abs(a64 - b64), 0.0)
    tol = atol * (1.0 + scale) + rtol * np.abs(b64)
    if noise is not None:
        tol = tol + 8 * np.nan_to_num(noise, nan=np.inf, posinf=np.inf)
    bad = err > tol
    if bad.any():
        i = tuple(int(k) for k in np.argwhere(bad)[0])
        return (f"{int(bad.sum())} of {a.size} elements differ (max abs err {float(err.max()):.3g}, "
                f"scale {scale:.3g}), "
                f"first at {i}: ours {a64[i]!r} vs torch {b64[i]!r}")
    return None


def _pairs(ours: Run, theirs: Run, prog: Program) -> list[tuple[str, str, Any, Any]]:
    """(phase, name, ours, torch) for every compared tensor."""
    out = [("forward", n, o, t) for n, o, t in zip(prog.outputs, ours.outs, theirs.outs)]
    rg_names = [i.name for i in prog.inputs if i.rg]
    for phase, a, b in (("grad", ours.grads, theirs.grads), ("gradgrad", ours.gg, theirs.gg)):
        if a is not None and b is not None:
            out += [(phase, n, x, y) for n, x, y in zip(rg_names, a, b)]
    return out


def compare(prog: Program, ours: Run, theirs: Run, noise_run: Run | None = None) -> list[Failure]:
    """Failures of ``ours`` against ``theirs``: values up to the first error, then the error itself."""
    tph = theirs.error[0] if theirs.error else None
    oph = ours.error[0] if ours.error else None
    stop = min(PHASES.index(p) if p else len(PHASES) for p in (tph, oph))
    fails = [f for f in _compare_values(prog, ours, theirs, noise_run) if PHASES.index(f.kind.split(":")[0]) < stop]
    if oph is not None and (tph is None or PHASES.index(oph) < PHASES.index(tph)):
        oe = ours.error[1]
        extra = f" (torch raised only in {tph}: {type(theirs.error[1]).__name__})" if tph else ""
        fails.append(Failure(f"{oph}:raised", "", f"{type(oe).__name__}: {str(oe)[:300]}{extra}"))
    elif tph is not None and (oph is None or PHASES.index(oph) > PHASES.index(tph)):
        te = theirs.error[1]
        fails.append(Failure(f"{tph}:missing_error", "", f"torch raised {type(te).__name__}: {str(te)[:300]}"))
    elif tph is not None:
        oe, te = ours.error[1], theirs.error[1]
        base = _builtin_base(te)
        if not isinstance(oe, base):
            fails.append(Failure(f"{tph}:exc_type", "", f"ours {type(oe).__name__}: {str(oe)[:200]} vs torch "
                                 f"{type(te).__name__} ({base.__name__}): {str(te)[:200]}"))
    return fails


def _compare_values(prog: Program, ours: Run, theirs: Run, noise_run: Run | None) -> list[Failure]:
    fails = []
    noise = {}
    if noise_run is not None and noise_run.error is None:
        for ph, n, x, y in _pairs(noise_run, theirs, prog):
            x, y = (x[0] if x else None), (y[0] if y else None)
            if x is not None and y is not None and x.shape == y.shape and x.dtype.kind == "f":
                with np.errstate(invalid="ignore"):
                    d = np.atleast_1d(np.abs(x.astype(np.float64) - y.astype(np.float64))).reshape(x.shape)
                d = np.where(np.isnan(x) != np.isnan(y), np.nan, d)
                noise[(ph, n)] = d
    for ph, n, o, t in _pairs(ours, theirs, prog):
        if ph == "forward":
            if (o is None) != (t is None):
                what = "a tensor" if o is not None else "no tensor"
                fails.append(Failure("forward:type", n, f"ours returned {what}"))
                continue
            if o is None:
                continue
            (oa, od, org), (ta, td, trg) = o, t
            if org != trg:
                fails.append(Failure("forward:requires_grad", n, f"ours requires_grad={org}, torch {trg}"))
        else:
            if o is None and t is None:
                continue
            if o is None or t is None:
                # a missing gradient is zero in the other engine's convention
                ref = t if t is not None else o
                z = (np.zeros_like(ref[0]), ref[1])
                o, t = (o or z), (t or z)
            (oa, od), (ta, td) = o, t
        if oa.shape != ta.shape:
            fails.append(Failure(f"{ph}:shape", n, f"ours {oa.shape} vs torch {ta.shape}"))
            continue
        if od != td:
            fails.append(Failure(f"{ph}:dtype", n, f"ours {od} vs torch {td}"))
        tol_dt = td if td in FLOATS else od
        if theirs.any_f32 and tol_dt == "float64":
            tol_dt = "float32"  # a float32 value on the way (a cast, int -> float math) bounds the accuracy
        d = compare_arrays(oa, ta, tol_dt, noise.get((ph, n)))
        if d is not None:
            fails.append(Failure(f"{ph}:value", n, d))
    return fails


def _needs_noise(fails: list[Failure]) -> bool:
    return any(f.kind.endswith(":value") for f in fails)


def check(prog: Program) -> Result:
    """Run both engines on ``prog`` and compare them; known differences are applied explicitly."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        theirs = run_engine(prog, "torch")
        sel = [(k, o[0].shape, o[1]) for k, o in enumerate(theirs.outs) if o is not None and o[2] and o[1] in FLOATS]
        ours = run_engine(prog, "ag", sel=sel)
        fails = compare(prog, ours, theirs)
        noisy = 0
        if _needs_noise(fails):
            f32 = "float32" in prog.float_dtypes() or theirs.any_f32
            nr = run_engine(prog, "torch", upcast=f32, perturb=0.0 if f32 else 1e-10)
            before = len(fails)
            fails = compare(prog, ours, theirs, nr)
            noisy = before - len(fails)
    for f in fails:
        f.known = known.match(prog, f, ours, theirs)
    real = [f for f in fails if f.known is None]
    status = "fail" if real else ("known" if fails else ("noisy" if noisy else "pass"))
    return Result(prog, status, fails, ours, theirs, noisy)


# ---------------------------------------------------------------------- shrinking
def _dce(prog: Program) -> Program:
    """Drop ops whose results are never used (in-place ops stay while their target is live)."""
    needed = set(prog.outputs)
    keep = []
    for node in reversed(prog.nodes):
        spec = OPS_BY_NAME[node.op]
        if needed & set(node.outs) or (spec.inplace and node.args and node.args[0] in needed):
            keep.append(node)
            needed |= set(node.args)
    nodes = list(reversed(keep))
    inputs = [i for i in prog.inputs if i.name in needed]
    return Program(prog.seed, inputs, nodes, prog.outputs)


def _value_at(prog: Program, k: int, name: str) -> np.ndarray | None:
    """The torch value of ``name`` just before node ``k`` runs."""
    eng = engine("torch")
    ns = dict(eng.ns)
    try:
        for inp in prog.inputs:
            ns[inp.name] = eng.leaf(inp.array(), inp.rg)
        for node in prog.nodes[:k]:
            _exec(node.source(), ns)
        return np.array(eng.np(ns[name]))
    except Exception:  # noqa: BLE001
        return None


def _candidates(prog: Program) -> Any:
    n = len(prog.nodes)
    yield _dce(prog)  # a generated program may compute values nothing uses
    # 1. end the program at an earlier op
    for k in range(n - 1):
        yield _dce(Program(prog.seed, prog.inputs, prog.nodes[:k + 1], list(prog.nodes[k].outs)))
    # 2. fewer outputs
    if len(prog.outputs) > 1:
        for o in prog.outputs:
            yield _dce(replace(prog, outputs=[o]))
    # 3. replace an intermediate argument by a new input holding its value (cuts the chain)
    input_names = {i.name for i in prog.inputs}
    for k, node in enumerate(prog.nodes):
        for j, a in enumerate(node.args):
            if a in input_names:
                continue
            val = _value_at(prog, k, a)
            if val is None:
                continue
            name = f"x{len(prog.inputs) + k * 10 + j}"
            new = replace(node, args=[name if x == a else x for x in node.args])
            rg = val.dtype.kind == "f"
            nodes = prog.nodes[:k] + [new] + prog.nodes[k + 1:]
            yield _dce(Program(prog.seed, prog.inputs + [Input(name, val, "", rg)], nodes, prog.outputs))
    # 4. simpler inputs: contiguous, no grad, fewer elements, rounder values
    for i, inp in enumerate(prog.inputs):
        def with_input(new: Input, i: int = i) -> Program:
            return replace(prog, inputs=prog.inputs[:i] + [new] + prog.inputs[i + 1:])

        if inp.view:
            yield with_input(replace(inp, base=inp.array(), view=""))
        if inp.rg and len([x for x in prog.inputs if x.rg]) > 1:
            yield with_input(replace(inp, rg=False))
        if not inp.view:
            for d, s in enumerate(inp.base.shape):
                for m in sorted({1, s // 2, s - 1}):
                    if 0 < m < s:
                        idx = [slice(None)] * inp.base.ndim
                        idx[d] = slice(0, m)
                        yield with_input(replace(inp, base=np.ascontiguousarray(inp.base[tuple(idx)])))
        if inp.base.dtype.kind == "f":
            r = np.round(inp.base, 1)
            if not np.array_equal(r, inp.base):
                yield with_input(replace(inp, base=r.astype(inp.base.dtype)))


def _signature(res: Result) -> set:
    return {f.kind for f in res.failures if f.known is None}


def shrink(res: Result, budget_s: float = 10.0, max_runs: int = 300) -> Result:
    """Greedy shrinking: accept any smaller program that still fails with a shared failure kind."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return _shrink(res, budget_s, max_runs)


def _shrink(res: Result, budget_s: float, max_runs: int) -> Result:
    best, sig = res, _signature(res)
    t0, runs = time.perf_counter(), 0
    improved = True
    while improved and time.perf_counter() - t0 < budget_s and runs < max_runs:
        improved = False
        for cand in _candidates(best.prog):
            if time.perf_counter() - t0 > budget_s or runs >= max_runs:
                break
            if _size(cand) >= _size(best.prog):
                continue
            runs += 1
            try:
                r = check(cand)
            except Exception:  # noqa: BLE001 - a candidate the runner cannot even set up
                continue
            if r.status == "fail" and _signature(r) & sig:
                best, improved = r, True
                break
    return best


def _size(p: Program) -> tuple:
    return (len(p.nodes), len(p.outputs), sum(i.base.size for i in p.inputs), sum(bool(i.view) for i in p.inputs),
            sum(i.rg for i in p.inputs), sum(len(repr(i.base.tolist())) for i in p.inputs))


# ---------------------------------------------------------------------- reproducer
def _arr_src(a: np.ndarray) -> str:
    return f"np.array({a.tolist()!r}, dtype=np.{a.dtype.name})"


def _short(a: Any, n: int = 400) -> str:
    if a is None:
        return "None"
    s = np.array2string(np.asarray(a), precision=6, threshold=40, max_line_width=100).replace("\n", " ")
    return s if len(s) <= n else s[:n] + " ..."


def reproducer(res: Result) -> str:
    prog = res.prog
    rg = [i.name for i in prog.inputs if i.rg]
    lines = [
        f"# autograd_core vs torch: fuzz program seed={prog.seed}, ops={prog.ops()}",
        *[f"# FAIL {f.kind} [{f.where}]: {f.detail}" for f in res.failures if f.known is None],
        *[f"# known {f.kind} [{f.where}] ({f.known})" for f in res.failures if f.known is not None],
        "import numpy as np",
        "import torch",
        "import autograd_core as ag",
        "import autograd_core.nn.functional as agF",
        "",
        "",
        f"def program(M, F, LA, C, {', '.join(i.name for i in prog.inputs)}):",
        *["    " + line for line in prog.source().splitlines()],
        f"    return [{', '.join(prog.outputs)}]",
        "",
        "",
        "def inputs():",
        "    return {",
        *[f"        {i.name!r}: ({_arr_src(i.base)}){i.view}," for i in prog.inputs],
        "    }",
        "",
        "",
        f"REQUIRES_GRAD = {rg!r}",
        "ENGINES = {",
        "    'autograd_core': (ag, agF, ag.linalg, ag.tensor, ag.from_numpy, ag.grad),",
        "    'torch': (torch, torch.nn.functional, torch.linalg, torch.as_tensor,",
        "              lambda a: torch.from_numpy(a.copy()), torch.autograd.grad),",
        "}",
        "rng = np.random.default_rng(0)",
        "upstream = None",
        "for name, (M, F, LA, C, leaf, grad) in ENGINES.items():",
        "    xs = {k: leaf(a).requires_grad_() if k in REQUIRES_GRAD else leaf(a) for k, a in inputs().items()}",
        "    try:",
        "        outs = program(M, F, LA, C, **xs)",
        "        for o in outs:",
        "            print(name, 'out', o.dtype, tuple(o.shape), o.detach().numpy().tolist())",
        "        diff = [o for o in outs if o.requires_grad]",
        "        if diff and REQUIRES_GRAD:",
        "            if upstream is None:",
        "                upstream = [rng.standard_normal(tuple(o.shape)) for o in diff]",
        "            us = [M.from_numpy(u.astype(np.dtype(str(o.dtype).replace('torch.', ''))))",
        "                  for u, o in zip(upstream, diff)]",
        "            gs = grad(diff, [xs[k] for k in REQUIRES_GRAD], us, allow_unused=True)",
        "            for k, g in zip(REQUIRES_GRAD, gs):",
        "                print(name, 'grad', k, None if g is None else g.numpy().tolist())",
        "    except Exception as e:",
        "        print(name, 'raised', type(e).__name__, e)",
    ]
    if res.ours is not None and res.theirs is not None:
        lines += ["", "# what the fuzzer saw (ours | torch):"]
        for ph, n, o, t in _pairs(res.ours, res.theirs, prog):
            if any(f.where == n and f.kind.startswith(ph) for f in res.failures):
                lines.append(f"#   {ph} {n}: ours {_short(o[0] if o else None)}")
                lines.append(f"#   {' ' * len(ph)} {n}: torch {_short(t[0] if t else None)}")
        for label, r in (("ours", res.ours), ("torch", res.theirs)):
            if r.error is not None:
                ph, e = r.error
                lines.append(f"#   {label} raised in {ph}: {type(e).__name__}: {str(e)[:300]}")
    return "\n".join(lines)


# ---------------------------------------------------------------------- source introspection (coverage)
_OPERATORS = {ast.Add: "__add__", ast.Sub: "__sub__", ast.Mult: "__mul__", ast.Div: "__truediv__",
              ast.Pow: "__pow__", ast.MatMult: "__matmul__", ast.FloorDiv: "__floordiv__", ast.Mod: "__mod__",
              ast.BitAnd: "__and__", ast.BitOr: "__or__", ast.BitXor: "__xor__", ast.USub: "__neg__",
              ast.Invert: "__invert__", ast.Eq: "__eq__", ast.NotEq: "__ne__", ast.Lt: "__lt__", ast.LtE: "__le__",
              ast.Gt: "__gt__", ast.GtE: "__ge__", ast.LShift: "__lshift__", ast.RShift: "__rshift__"}
_REFLECTED = {"__add__": "__radd__", "__sub__": "__rsub__", "__mul__": "__rmul__", "__truediv__": "__rtruediv__",
              "__pow__": "__rpow__"}


def api_names(src: str) -> set[str]:
    """The API a program's source uses: 'M.x', 'F.x', 'LA.x', '.method', and operator dunders."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id in ("M", "F", "LA"):
                names.add(f"{node.value.id}.{node.attr}")
            elif not (isinstance(node.value, ast.Name) and node.value.id in ("np", "C")):
                names.add(f".{node.attr}")
        elif isinstance(node, ast.BinOp):
            d = _OPERATORS.get(type(node.op))
            if d:
                left = node.left.operand if isinstance(node.left, ast.UnaryOp) else node.left
                names.add(_REFLECTED.get(d, d) if isinstance(left, ast.Constant) else d)
        elif isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
            names.add(_OPERATORS[type(node.op)])
        elif isinstance(node, ast.Compare):
            names |= {_OPERATORS[type(o)] for o in node.ops if type(o) in _OPERATORS}
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id != "np":
            names.add("__setitem__" if isinstance(node.ctx, ast.Store) else "__getitem__")
        elif isinstance(node, ast.AugAssign):
            names.add("__i" + _OPERATORS[type(node.op)][2:])
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "abs":
            names.add("__abs__")
    return names


def fmt_failures(res: Result) -> str:
    return "; ".join(f"{f.kind}[{f.where}]: {f.detail}" for f in res.failures if f.known is None)


def lit_src(a: Any) -> str:  # re-exported for known.py predicates that print constants
    return lit(a)


WORD = re.compile(r"\w+")
