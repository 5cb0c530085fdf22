"""Fuzzer registry entries for the surface family: PyTorch's top-level forms (torch.exp_(x), torch.conv2d,
torch.batch_norm with its own argument order, the losses with an int reduction ...), the scatter-style ops
(index_put, masked_scatter, put, index_reduce, select/slice/diagonal_scatter and their in-place forms) and
the smaller functions and methods (rsub, fill, frexp, split_with_sizes, unsafe_split, vsplit ...).

Top-level forms whose signature is F's are drawn by wrapping the F entry already registered (its generator,
its call rendered as ``M.<name>`` instead of ``F.<name>``); the others have generators here. Each option list
cycles (``_cycle``) so the CI slice draws every name. Random ops are drawn where they are deterministic
(dropout with train=False or p in {0, 1}, rrelu with training=False).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from autograd_core._inplace_functions import METHOD_FORMS

from .ops import float_arg, lit, rdim, reg
from .ops_math import _BINARY_EXTRA, _BINARY_INPLACE, _NO_TORCH_DERIVATIVE, _UNARY_INPLACE, _cycle, _inplace_args

_T = "tests/test_torch_surface.py"
EXCLUDED_API: dict[str, str] = {
    **{f"M.{n}": f"returns a Python value, not a tensor ({_T})" for n in (
        "is_nonzero", "is_same_size", "is_signed", "is_conj", "is_neg", "typename", "is_anomaly_check_nan_enabled",
        "is_warn_always_enabled")},
    **{f".{n}": f"returns a Python value, not a tensor ({_T})" for n in ("is_conj", "is_neg", "output_nr")},
    **{f"M.{n}": f"process state, not an op ({_T})" for n in (
        "set_default_tensor_type", "set_anomaly_enabled", "set_flush_denormal", "set_warn_always")},
    "M.scalar_tensor": f"creation ({_T})", "M.range": f"creation (deprecated; {_T})",
    "M.randint_like": f"random: streams differ by design ({_T})",
    ".new_empty_strided": f"creation, uninitialised ({_T})",
    ".register_post_accumulate_grad_hook": f"engine API ({_T} and tests/test_torch_surface.py hook tests)",
    ".resize_": f"in-place reallocation of a tensor outside the graph; grown elements are uninitialised in torch "
                f"({_T})",
    "M.resize_as_": "as .resize_", ".resize_as_": "as .resize_",
}

_INPLACE_MATH = set(_UNARY_INPLACE) | set(_BINARY_INPLACE) | set(_BINARY_EXTRA)


def _form(ctx: Any) -> str:
    return ctx.choice(["method", "func"])


# ---------------------------------------------------------------------- torch.X_(t, ...): the in-place functions
def _top_inplace_code(a: list, p: dict) -> str:
    fn = p["fn"]
    if fn in ("relu", "neg", "zero", "detach"):
        return f"{{o0}} = {a[0]} * 1\nM.{fn}_({{o0}})"
    if fn == "clamp":
        return f"{{o0}} = {a[0]} * 1\nM.clamp_({{o0}}, {p['lo']}, {p['hi']})"
    if fn == "fill":
        return f"{{o0}} = {a[0]} * 1\nM.fill_({{o0}}, {lit(p['s'])})"
    if fn in ("gcd", "lcm"):
        return f"{{o0}} = {a[0]}.clone()\nM.{fn}_({{o0}}, {a[1]})"
    pre = _UNARY_INPLACE.get(fn, ("", ""))[1]
    src = f"{a[0]}.detach()" if fn in _NO_TORCH_DERIVATIVE else a[0]
    head = f"{{o0}} = {src} * 1{pre}\n"
    if fn in _UNARY_INPLACE:
        return head + f"M.{fn}_({{o0}})"
    if fn == "clip":
        return head + f"M.clip_({{o0}}, {p['scalar'][0]}, {p['scalar'][1]})"
    if "scalar" in p:
        return head + f"M.{fn}_({{o0}}, {lit(p['scalar'])})"
    if fn == "lerp":
        return head + f"M.lerp_({{o0}}, {a[1]}, {p['w']})"
    return head + f"M.{fn}_({{o0}}, {', '.join(a[1:])})"


def _top_inplace_gen(names: list) -> Any:
    def gen(ctx: Any) -> Any:
        fn = _cycle(ctx, names)
        if fn in _INPLACE_MATH:
            return _inplace_args(ctx, fn)
        if fn in ("gcd", "lcm"):
            x = ctx.fresh(ctx.shape(0, 3), "int", dtype="int64")
            return [x, ctx.fresh(x.shape, "int", dtype="int64")], {"fn": fn}
        x = float_arg(ctx, "normal")
        if x is None:
            return None
        p: dict = {"fn": fn}
        if fn == "clamp":
            p.update(lo=ctx.choice([-0.5, None]), hi=0.6)
        elif fn == "fill":
            p["s"] = round(float(ctx.rng.normal()), 3)
        return [x], p

    return gen


# the names torch has at top level whose method is ours (index_put_ / resize_as_ are drawn below / excluded)
_TOP_INPLACE = [n[:-1] for n in METHOD_FORMS if n not in ("index_put_", "resize_as_")]
for _k in range(0, len(_TOP_INPLACE), 8):
    reg(f"toplevel_inplace_{_k // 8}", "inplace",
        _top_inplace_gen(_TOP_INPLACE[_k:_k + 8]), _top_inplace_code, stmt=True)


# torch's functional in-place forms: selu_, celu_, threshold_ (F's signature), rrelu_ and the dropouts (drawn
# where deterministic)
def _fn_inplace_gen(ctx: Any) -> Any:
    fn = _cycle(ctx, ["selu_", "celu_", "threshold_", "rrelu_", "dropout_", "alpha_dropout_", "feature_dropout_",
                      "feature_alpha_dropout_"])
    x = float_arg(ctx, "normal", min_nd=2 if "feature" in fn else 0)
    if x is None or ("feature" in fn and len(x.shape) < 2):
        return None
    # (p, train): eval mode is the identity, p=0 in training also; p=1 zeroes (alpha dropout: its constant)
    return [x], {"fn": fn, "pt": ctx.choice([(0.5, False), (0.0, True), (1.0, True)])}


def _fn_inplace_code(a: list, p: dict) -> str:
    fn = p["fn"]
    head = f"{{o0}} = {a[0]} * 1\n"
    if fn == "celu_":
        return head + "M.celu_({o0}, 1.5)"
    if fn == "threshold_":
        return head + "M.threshold_({o0}, 0.1, -2.0)"
    if fn == "rrelu_":
        return head + "M.rrelu_({o0}, 0.1, 0.3)"
    if fn == "selu_":
        return head + "M.selu_({o0})"
    pp, train = p["pt"]
    return head + f"M.{fn}({{o0}}, {pp}, {train})"


reg("toplevel_functional_inplace", "inplace", _fn_inplace_gen, _fn_inplace_code, stmt=True)


# ---------------------------------------------------------------------- M.<name> for F.<name> of the same signature
_SAME_SIGNATURE = ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
                   "rms_norm", "prelu", "bilinear", "pdist", "channel_shuffle", "native_channel_shuffle")


def _wrapped(base: str) -> tuple[Any, Any]:
    def spec() -> Any:
        from .ops import OPS_BY_NAME

        return OPS_BY_NAME[base]

    def gen(ctx: Any) -> Any:
        out = spec().gen(ctx)
        return out

    def code(a: list, p: dict) -> str:
        src = spec().code(a, p)
        # only the call of the op itself: F.conv2d( -> M.conv2d( (never a prefix of a longer name)
        return re.sub(r"\bF\.(" + "|".join(_SAME_SIGNATURE) + r")\(", r"M.\1(", src)

    return gen, code


for _base in ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "rms_norm",
              "prelu", "bilinear", "pdist", "channel_shuffle"):
    reg(f"M.{_base}", "kernel", *_wrapped(_base))


# ---------------------------------------------------------------------- top-level forms with torch's own signature
def _nchw(ctx: Any, nd: int, min_len: int = 2) -> Any:
    shape = (int(ctx.rng.integers(1, 3)), int(ctx.rng.integers(1, 4))) + tuple(
        int(ctx.rng.integers(min_len, 6)) for _ in range(nd))
    return ctx.fresh(shape, "uniq" if ctx.rng.random() < 0.5 else "normal")


def _pool_gen(ctx: Any) -> Any:
    fn = _cycle(ctx, ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "adaptive_avg_pool1d", "convolution"])
    nd = {"max_pool2d": 2, "max_pool3d": 3}.get(fn, 1)
    if fn == "convolution":
        nd = int(ctx.rng.integers(1, 4))
    x = _nchw(ctx, nd, 2)
    p: dict = {"fn": fn, "k": 2, "stride": ctx.choice([None, 1, 2]), "ceil": bool(ctx.rng.random() < 0.3),
               "out": int(ctx.rng.integers(1, 4))}
    if fn == "convolution":
        t = bool(ctx.rng.random() < 0.4)
        c = x.shape[1]
        w = ctx.fresh((c, 2, *([2] * nd)) if t else (2, c, *([2] * nd)), "normal")
        p.update(nd=nd, transposed=t)
        return [x, w, ctx.fresh((2,), "normal")], p
    return [x], p


def _pool_code(a: list, p: dict) -> str:
    fn, x = p["fn"], a[0]
    if fn == "convolution":
        n = p["nd"]
        one, zero = [1] * n, [0] * n
        return f"M.convolution({x}, {a[1]}, {a[2]}, {one}, {zero}, {one}, {p['transposed']}, {zero}, 1)"
    if fn.startswith("adaptive"):
        return f"M.{fn}({x}, {p['out']})"
    stride = "[]" if p["stride"] is None else p["stride"]
    if fn == "avg_pool1d":
        return f"M.avg_pool1d({x}, {p['k']}, {stride}, 0, {p['ceil']}, True)"
    return f"M.{fn}({x}, {p['k']}, {stride}, 0, 1, {p['ceil']})"


reg("toplevel_pool_conv", "kernel", _pool_gen, _pool_code)


def _pool_multi_gen(ctx: Any) -> Any:
    fn = ctx.choice(["max_pool1d_with_indices", "adaptive_max_pool1d"])
    shape = (int(ctx.rng.integers(1, 3)), int(ctx.rng.integers(1, 4)), int(ctx.rng.integers(2, 6)))
    x = ctx.fresh(shape, "uniq")  # distinct values: the argmax is unique
    return [x], {"fn": fn, "k": 2, "stride": ctx.choice([None, 1]), "ceil": False, "out": 2}


reg("toplevel_pool_indices", "kernel", _pool_multi_gen, _pool_code, multi=True)


def _norm_gen(ctx: Any) -> Any:
    fn = _cycle(ctx, ["batch_norm", "instance_norm", "group_norm", "layer_norm", "dropout", "alpha_dropout",
                      "feature_dropout", "feature_alpha_dropout"])
    n, c = int(ctx.rng.integers(2, 4)), ctx.choice([2, 4])
    x = ctx.fresh((n, c, int(ctx.rng.integers(2, 5))), "normal")
    p: dict = {"fn": fn, "affine": bool(ctx.rng.random() < 0.6)}
    args = [x]
    if fn in ("batch_norm", "instance_norm"):
        p["training"] = bool(fn == "instance_norm" or ctx.rng.random() < 0.6)
        if p["affine"]:
            args += [ctx.fresh((c,), "normal"), ctx.fresh((c,), "normal")]
        if not p["training"]:
            args += [ctx.fresh((c,), "normal", rg=False), ctx.fresh((c,), "pos", rg=False)]
    elif fn in ("group_norm", "layer_norm"):
        shape = (c,) if fn == "group_norm" else tuple(x.shape[-1:])
        if p["affine"]:
            args += [ctx.fresh(shape, "normal"), ctx.fresh(shape, "normal")]
    else:
        p["pt"] = ctx.choice([(0.5, False), (0.0, True), (1.0, True)])
    return args, p


def _norm_code(a: list, p: dict) -> str:
    fn, x = p["fn"], a[0]
    w, b = (a[1], a[2]) if p.get("affine") and len(a) >= 3 else ("None", "None")
    if fn in ("batch_norm", "instance_norm"):
        rm, rv = (a[-2], a[-1]) if not p["training"] else ("None", "None")
        return f"M.{fn}({x}, {w}, {b}, {rm}, {rv}, {p['training']}, 0.1, 1e-05, False)"
    if fn == "group_norm":
        return f"M.group_norm({x}, 2, {w}, {b}, 1e-05, True)"
    if fn == "layer_norm":
        return f"M.layer_norm({x}, [{x}.shape[-1]], {w}, {b}, 1e-05, True)"
    pp, train = p["pt"]
    return f"M.{fn}({x}, {pp}, {train})"


reg("toplevel_norm_dropout", "kernel", _norm_gen, _norm_code)


def _emb_loss_gen(ctx: Any) -> Any:
    fn = _cycle(ctx, ["embedding", "kl_div", "binary_cross_entropy_with_logits", "cosine_embedding_loss",
                      "hinge_embedding_loss", "margin_ranking_loss", "poisson_nll_loss", "triplet_margin_loss"])
    red = ctx.choice([0, 1, 2])
    n, d = int(ctx.rng.integers(1, 4)), int(ctx.rng.integers(2, 5))
    p: dict = {"fn": fn, "red": red}
    if fn == "embedding":
        w = ctx.fresh((5, d), "normal")
        p["idx"] = np.asarray(ctx.rng.integers(0, 5, size=(n, 2)), dtype=np.int64)
        p["pad"] = ctx.choice([-1, 2])
        return [w], p
    if fn == "kl_div":
        return [ctx.fresh((n, d), "normal"), ctx.fresh((n, d), "unit")], p
    if fn == "binary_cross_entropy_with_logits":
        return [ctx.fresh((n, d), "normal"), ctx.fresh((n, d), "unit"), ctx.fresh((d,), "pos")], p
    if fn in ("cosine_embedding_loss", "margin_ranking_loss"):
        shape = (n, d) if fn == "cosine_embedding_loss" else (n,)
        p["t"] = np.asarray(ctx.rng.choice([-1.0, 1.0], size=(n,)))
        return [ctx.fresh(shape, "normal"), ctx.fresh(shape, "normal")], p
    if fn == "hinge_embedding_loss":
        p["t"] = np.asarray(ctx.rng.choice([-1.0, 1.0], size=(n, d)))
        return [ctx.fresh((n, d), "normal")], p
    if fn == "poisson_nll_loss":
        p["log"] = bool(ctx.rng.random() < 0.5)
        return [ctx.fresh((n, d), "normal" if p["log"] else "pos"), ctx.fresh((n, d), "pos", rg=False)], p
    return [ctx.fresh((n, d), "normal") for _ in range(3)], p


def _emb_loss_code(a: list, p: dict) -> str:
    fn, red = p["fn"], p["red"]
    if fn == "embedding":
        return f"M.embedding({a[0]}, {lit(p['idx'])}, {p['pad']})"
    if fn == "kl_div":
        return f"M.kl_div({a[0]}.log_softmax(-1), {a[1]}, {red})"
    if fn == "binary_cross_entropy_with_logits":
        return f"M.binary_cross_entropy_with_logits({a[0]}, {a[1]}, None, {a[2]}, {red})"
    if fn in ("cosine_embedding_loss", "margin_ranking_loss"):
        t = f"{lit(p['t'])}.to({a[0]}.dtype)"
        return f"M.{fn}({a[0]}, {a[1]}, {t}, 0.2, {red})"
    if fn == "hinge_embedding_loss":
        return f"M.hinge_embedding_loss({a[0]}, {lit(p['t'])}.to({a[0]}.dtype), 1.0, {red})"
    if fn == "poisson_nll_loss":
        return f"M.poisson_nll_loss({a[0]}, {a[1]}, {p['log']}, False, 1e-08, {red})"
    return f"M.triplet_margin_loss({a[0]}, {a[1]}, {a[2]}, 1.0, 2.0, 1e-06, False, {red})"


reg("toplevel_embedding_losses", "loss", _emb_loss_gen, _emb_loss_code)


def _misc_nn_gen(ctx: Any) -> Any:
    fn = _cycle(ctx, ["cosine_similarity", "pairwise_distance", "rrelu", "native_channel_shuffle", "ctc_loss"])
    if fn == "ctc_loss":
        t_len, n, c = 5, 2, 4
        return [ctx.fresh((t_len, n, c), "normal")], {
            "fn": fn, "red": ctx.choice([0, 1, 2]),
            "tgt": np.asarray(ctx.rng.integers(1, c, size=(n, 2)), dtype=np.int64)}
    if fn == "native_channel_shuffle":
        # (torch's native_channel_shuffle has no derivative: compared on a constant, as in the F entry)
        return [ctx.fresh((1, 4, 2), "normal", rg=False)], {"fn": fn}
    x = float_arg(ctx, "normal", lambda v: len(v.shape) >= 2 and v.shape[1] >= 1, min_nd=2)
    if x is None:
        return None
    if fn == "rrelu":
        return [x], {"fn": fn}
    return [x, ctx.fresh(x.shape, "normal")], {"fn": fn}


def _misc_nn_code(a: list, p: dict) -> str:
    fn = p["fn"]
    if fn == "ctc_loss":
        lp = f"{a[0]}.log_softmax(2)"
        return f"M.ctc_loss({lp}, {lit(p['tgt'])}, [5, 5], [2, 2], 0, {p['red']}, False)"
    if fn == "rrelu":
        return f"M.rrelu({a[0]}, 0.1, 0.3, False)"
    if fn == "native_channel_shuffle":
        return f"M.native_channel_shuffle({a[0]}, 2)"
    if fn == "cosine_similarity":
        return f"M.cosine_similarity({a[0]}, {a[1]}, 1, 1e-08)"
    return f"M.pairwise_distance({a[0]}, {a[1]}, 2.0, 1e-06, False)"


reg("toplevel_nn_misc", "loss", _misc_nn_gen, _misc_nn_code)


# ---------------------------------------------------------------------- scatter-style ops
_PUTS = ["index_put", "index_put_acc", "masked_scatter", "put", "put_acc"]
_EMBEDS = ["index_reduce", "select_scatter", "slice_scatter", "diagonal_scatter"]


def _scatter_more_gen(ctx: Any, names: list) -> Any:
    fn = _cycle(ctx, names)
    rng = ctx.rng
    x = float_arg(ctx, "normal", lambda v: len(v.shape) >= 1 and min(v.shape) >= 1, min_nd=1)
    if x is None:
        return None
    nd = len(x.shape)
    # every name in every form within the first rounds: the form changes after a full cycle of the names
    p: dict = {"fn": fn, "form": _cycle(ctx, ["method", "func", "inplace"], period=len(names)),
               "top": bool(rng.random() < 0.5)}
    if fn.startswith("index_put"):
        k = int(rng.integers(1, min(nd, 2) + 1))
        m = int(rng.integers(1, 4))
        # without accumulate a repeated position keeps one value, unspecified which: distinct rows then
        rows = [np.asarray(rng.choice(x.shape[d], size=min(m, x.shape[d]), replace=fn == "index_put_acc"),
                           dtype=np.int64) for d in range(k)]
        n = min(len(r) for r in rows)
        p["idx"] = [r[:n] for r in rows]
        return [x, ctx.fresh((n,) + tuple(x.shape[k:]), "normal", dtype=x.dtype)], p
    if fn == "masked_scatter":
        p["mask"] = rng.random(x.shape) < 0.5
        return [x, ctx.fresh((int(np.prod(x.shape)) + int(rng.integers(0, 3)),), "normal", dtype=x.dtype)], p
    if fn.startswith("put"):
        size = int(np.prod(x.shape))
        m = int(rng.integers(1, 4))
        idx = rng.choice(size, size=min(m, size), replace=fn == "put_acc")
        p["idx"] = np.asarray(np.where(rng.random(idx.shape) < 0.3, idx - size, idx), dtype=np.int64)
        return [x, ctx.fresh(p["idx"].shape, "normal", dtype=x.dtype)], p
    d = rdim(ctx, nd)
    p["d"] = d
    if fn == "index_reduce":
        p["red"] = ctx.choice(["prod", "mean", "amax", "amin"])
        p["self"] = bool(rng.random() < 0.5)
        m = int(rng.integers(1, 4))
        p["idx"] = np.asarray(rng.integers(0, x.shape[d], size=m), dtype=np.int64)
        shape = tuple(m if i == d % nd else s for i, s in enumerate(x.shape))
        kind = "uniq" if p["red"] in ("amax", "amin") else "normal"  # ties split the gradient (tested in the op db)
        return [ctx.fresh(x.shape, kind, dtype=x.dtype), ctx.fresh(shape, kind, dtype=x.dtype)], p
    if fn == "select_scatter":
        p["i"] = int(rng.integers(-x.shape[d], x.shape[d]))
        shape = tuple(s for i, s in enumerate(x.shape) if i != d % nd)
        return [x, ctx.fresh(shape, "normal", dtype=x.dtype)], p
    if fn == "slice_scatter":
        n = x.shape[d]
        p["sl"] = (int(rng.integers(0, n)), ctx.choice([None, n]), int(rng.integers(1, 3)))
        length = len(range(*slice(*p["sl"]).indices(n)))
        shape = tuple(length if i == d % nd else s for i, s in enumerate(x.shape))
        return [x, ctx.fresh(shape, "normal", dtype=x.dtype)], p
    if nd < 2:
        return None
    d1, d2 = 0, nd - 1
    off = int(rng.integers(-1, 2))
    p.update(off=off, d1=d1, d2=d2)
    dshape = np.diagonal(np.zeros(x.shape), off, d1, d2).shape
    return [x, ctx.fresh(dshape, "normal", dtype=x.dtype)], p


def _scatter_more_code(a: list, p: dict) -> str:
    fn, x, v = p["fn"], a[0], a[1] if len(a) > 1 else None
    form = p["form"]
    if fn.startswith("index_put"):
        idx = "(" + ", ".join(lit(i) for i in p["idx"]) + ",)"
        args, name = f"{idx}, {v}, {fn == 'index_put_acc'}", "index_put"
    elif fn == "masked_scatter":
        args, name = f"{lit(p['mask'])}, {v}", fn
    elif fn.startswith("put"):
        args, name = f"{lit(p['idx'])}, {v}, accumulate={fn == 'put_acc'}", "put"
    elif fn == "index_reduce":
        args, name = f"{p['d']}, {lit(p['idx'])}, {v}, {p['red']!r}, include_self={p['self']}", fn
    elif fn == "select_scatter":
        return f"M.select_scatter({x}, {v}, {p['d']}, {p['i']})" if form != "method" else \
            f"{x}.select_scatter({v}, {p['d']}, {p['i']})"
    elif fn == "slice_scatter":
        s, e, st = p["sl"]
        return f"M.slice_scatter({x}, {v}, {p['d']}, {s}, {e}, {st})" if form != "method" else \
            f"{x}.slice_scatter({v}, dim={p['d']}, start={s}, end={e}, step={st})"
    else:
        return f"M.diagonal_scatter({x}, {v}, {p['off']}, {p['d1']}, {p['d2']})" if form != "method" else \
            f"{x}.diagonal_scatter({v}, {p['off']}, {p['d1']}, {p['d2']})"
    if form == "inplace":
        top = name in ("index_put",)  # torch.index_put_ exists at top level; the other in-place forms are methods
        call = f"M.{name}_({{o0}}, {args})" if top and p["top"] else f"{{o0}}.{name}_({args})"
        return f"{{o0}} = {x} * 1\n{call}"
    if form == "method":
        return f"{x}.{name}({args})"
    return f"M.{name}({x}, {args})"


def _scatter_more_stmt(a: list, p: dict) -> str:
    code = _scatter_more_code(a, p)
    return code if "\n" in code else f"{{o0}} = {code}"


reg("scatter_more_put", "indexing", lambda ctx: _scatter_more_gen(ctx, _PUTS), _scatter_more_stmt, stmt=True)
reg("scatter_more_embed", "indexing", lambda ctx: _scatter_more_gen(ctx, _EMBEDS), _scatter_more_stmt, stmt=True)


# ---------------------------------------------------------------------- small functions and methods
def _misc_gen(ctx: Any) -> Any:
    fn = _cycle(ctx, ["rsub", "fill", "frexp", "narrow_copy", "detach", "unravel_index", "gcd_lcm_nextafter"])
    rng = ctx.rng
    if fn == "unravel_index":
        shape = tuple(int(s) for s in rng.integers(1, 4, size=int(rng.integers(1, 4))))
        return [], {"fn": fn, "shape": shape,
                    "idx": np.asarray(rng.integers(-3, int(np.prod(shape)), size=int(rng.integers(0, 4))))}
    if fn == "gcd_lcm_nextafter":
        if rng.random() < 0.5:
            x = ctx.fresh(ctx.shape(0, 3), "int", dtype="int64")
            return [x, ctx.fresh(x.shape, "int", dtype="int64")], {"fn": fn, "ints": True}
        x = float_arg(ctx, "normal")
        if x is None:
            return None
        return [x, ctx.fresh(x.shape, "normal", dtype=x.dtype, rg=False)], {"fn": fn}
    x = float_arg(ctx, "normal", (lambda v: len(v.shape) >= 1) if fn == "narrow_copy" else None,
                  min_nd=1 if fn == "narrow_copy" else 0)
    if x is None:
        return None
    p: dict = {"fn": fn, "form": _form(ctx)}
    if fn == "rsub":
        r = rng.random()
        if r < 0.4:
            p["s"] = round(float(rng.normal()), 3)
            p["alpha"] = ctx.choice([1, 2, 0.5])
            return [x], p
        p["alpha"] = ctx.choice([1, -1.5])
        return [x, ctx.fresh(x.shape[int(rng.integers(0, len(x.shape) + 1)):], "normal", dtype=x.dtype)], p
    if fn == "fill":
        if rng.random() < 0.5:
            return [x, ctx.fresh((), "normal", dtype=x.dtype)], p
        p["s"] = round(float(rng.normal()), 3)
        return [x], p
    if fn == "narrow_copy":
        d = rdim(ctx, len(x.shape))
        n = x.shape[d]
        st = int(rng.integers(0, n + 1)) if n else 0
        p.update(d=d, st=st, ln=int(rng.integers(0, n - st + 1)) if n else 0)
        return [x], p
    return [x], p


def _misc_code(a: list, p: dict) -> str:
    fn = p["fn"]
    if fn == "unravel_index":
        return f"{{o0}} = M.stack(M.unravel_index({lit(p['idx'])}, {p['shape']}))"
    if fn == "gcd_lcm_nextafter":
        if p.get("ints"):
            return f"{{o0}} = {a[0]}.clone()\n{{o0}}.gcd_({a[1]})\n{{o0}}.lcm_({a[1]})"
        return f"{{o0}} = {a[0]} * 1\n{{o0}}.nextafter_({a[1]})"
    x = a[0]
    if fn == "rsub":
        y = lit(p["s"]) if "s" in p else a[1]
        return f"{{o0}} = M.rsub({x}, {y}, alpha={p['alpha']})"
    if fn == "fill":
        y = lit(p["s"]) if "s" in p else a[1]
        return f"{{o0}} = M.fill({x}, {y})"
    if fn == "frexp":
        call = f"{x}.frexp()" if p["form"] == "method" else f"M.frexp({x})"
        return f"{{o0}} = {call}[0] + {call}[1]"
    if fn == "narrow_copy":
        args = f"{p['d']}, {p['st']}, {p['ln']}"
        return f"{{o0}} = {x}.narrow_copy({args})" if p["form"] == "method" else f"{{o0}} = M.narrow_copy({x}, {args})"
    return f"{{o0}} = M.detach({x}) * {x}"


reg("surface_misc", "shape", _misc_gen, _misc_code, stmt=True)


def _splits_gen(ctx: Any) -> Any:
    fn = _cycle(ctx, ["split_with_sizes", "unsafe_split", "unsafe_chunk", "unsafe_split_with_sizes", "vsplit",
                      "hsplit", "dsplit"])
    rng = ctx.rng
    min_nd = {"vsplit": 2, "dsplit": 3}.get(fn, 1)
    x = float_arg(ctx, "normal", lambda v: len(v.shape) >= min_nd, min_nd=min_nd)
    if x is None:
        return None
    nd = len(x.shape)
    p: dict = {"fn": fn, "form": _form(ctx)}
    if fn in ("vsplit", "hsplit", "dsplit"):
        d = {"vsplit": 0, "hsplit": 1 if nd > 1 else 0, "dsplit": 2}[fn]
        n = x.shape[d]
        divs = [k for k in range(1, n + 1) if n % k == 0] or [1]
        p["arg"] = ctx.choice(divs) if rng.random() < 0.6 else sorted(
            int(c) for c in rng.integers(0, n + 1, size=int(rng.integers(1, 3))))
        if rng.random() < 0.05 and n > 1:
            p["arg"] = n + 1  # not a divisor: RuntimeError in both
        return [x], p
    d = rdim(ctx, nd)
    n = x.shape[d]
    p["d"] = d
    if fn in ("split_with_sizes", "unsafe_split_with_sizes"):
        cuts = sorted(int(c) for c in rng.integers(0, n + 1, size=int(rng.integers(1, 3))))
        p["arg"] = [b - a for a, b in zip([0] + cuts, cuts + [n])]
    else:
        p["arg"] = int(rng.integers(1, max(n, 1) + 1))
    return [x], p


def _splits_code(a: list, p: dict) -> str:
    fn, x = p["fn"], a[0]
    args = repr(p["arg"]) + (f", {p['d']}" if "d" in p else "")
    return f"{x}.{fn}({args})" if p["form"] == "method" else f"M.{fn}({x}, {args})"


reg("surface_splits", "shape", _splits_gen, _splits_code, multi=True)

