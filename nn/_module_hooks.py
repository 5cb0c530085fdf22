"""Module backward hooks (``register_full_backward_hook`` / ``register_full_backward_pre_hook``).

As in PyTorch, a hooked module call routes its tensor inputs and its outputs through identity nodes: the node
on the outputs receives ``grad_output`` (and runs the pre-hooks), the node on the inputs receives
``grad_input``, the gradient w.r.t. the inputs through this call alone, and runs the full hooks.
Each node is one multi-output identity, so a hook sees all of a call's gradients at once.
"""

from __future__ import annotations

from typing import Any

from autograd_core import Function, Tensor, is_grad_enabled
from autograd_core._tensor import _make


class BackwardHook(Function):
    """ys = xs (identity on a hooked module call's inputs or outputs);  gxs = the module's hooks applied to gys"""

    fresh_grads = False

    def forward(self, *xs, callback):
        self.callback = callback
        return tuple(x.copy() for x in xs)  # copies: an in-place op on an output must not reach the input

    def backward(self, *grads):
        # the user's hooks see Tensors (in an ordinary backward the grads are arrays) and may return Tensors
        as_t = [g if g is None or isinstance(g, Tensor) else _make(g, None, False) for g in grads]
        out = self.callback(tuple(as_t))
        if any(isinstance(g, Tensor) for g in grads):
            return out
        return tuple(g._data if isinstance(g, Tensor) else g for g in out)


class _Call:
    """The state one hooked call shares between its input node and its output node."""

    def __init__(self, module: Any, n_inputs: int, positions: list[int]) -> None:
        self.module, self.n_inputs, self.positions = module, n_inputs, positions
        self.grad_output: tuple = ()

    def full_hooks(self, grad_input: tuple) -> tuple:
        for hook in tuple(self.module.__dict__.get("_backward_hooks", {}).values()):
            res = hook(self.module, grad_input, self.grad_output)
            if res is not None:
                grad_input = _check(res, len(grad_input), "grad_input", self.module)
        return grad_input

    def on_inputs(self, grads: tuple) -> tuple:
        full = [None] * self.n_inputs
        for pos, g in zip(self.positions, grads):
            full[pos] = g
        full = self.full_hooks(tuple(full))
        return tuple(full[pos] for pos in self.positions)

    def on_outputs(self, grads: tuple) -> tuple:
        for hook in tuple(self.module.__dict__.get("_backward_pre_hooks", {}).values()):
            res = hook(self.module, grads)
            if res is not None:
                grads = _check(res, len(grads), "grad_output", self.module)
        self.grad_output = grads
        if not self.positions:  # no input needs a gradient: the hooks run now, with grad_input all None
            self.full_hooks((None,) * self.n_inputs)
        return grads


def _check(res: Any, n: int, what: str, module: Any) -> tuple:
    res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
    if len(res) != n:
        raise RuntimeError(f"backward hook of {type(module).__name__} returned {len(res)} {what} gradients, "
                           f"expected {n}")
    return res


def wrap_inputs(module: Any, args: tuple) -> tuple[tuple, _Call | None]:
    """The call's args with its grad-requiring tensor inputs routed through the input hook node."""
    if not is_grad_enabled():
        return args, None
    tensors = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    positions = [k for k, i in enumerate(tensors) if args[i].requires_grad]
    call = _Call(module, len(tensors), positions)
    if positions:
        outs = BackwardHook.apply(*(args[tensors[k]] for k in positions), callback=call.on_inputs)
        args = list(args)
        for k, o in zip(positions, outs):
            args[tensors[k]] = o
        args = tuple(args)
    return args, call


def wrap_outputs(module: Any, out: Any, call: _Call | None) -> Any:
    """The call's output(s) routed through the output hook node."""
    if not is_grad_enabled():
        return out
    if call is None:
        call = _Call(module, 0, [])
    single = isinstance(out, Tensor)
    outs = (out,) if single else tuple(out) if isinstance(out, (tuple, list)) else None
    if outs is None or not any(isinstance(o, Tensor) and o.requires_grad for o in outs):
        return out
    idx = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
    wrapped = BackwardHook.apply(*(outs[i] for i in idx), callback=call.on_outputs)
    new = list(outs)
    for i, w in zip(idx, wrapped):
        new[i] = w
    return new[0] if single else type(out)(new)
