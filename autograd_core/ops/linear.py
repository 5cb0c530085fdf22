"""The affine map of a fully connected layer as one node (PyTorch's ``F.linear``)."""

from __future__ import annotations

from .. import _dual as D
from .._function import Function
from .._tensor import Tensor


class Linear(Function):
    """y = x @ W^T + b;  gx = g @ W,  gW = g^T @ x (over all leading dims),  gb = sum of g over leading dims"""

    saves_inputs = True

    def forward(self, x, w, b=None):
        y = x @ w.T
        if b is not None:
            y += b  # y is a fresh array: adding in place saves one temporary
        return y

    def backward(self, g):
        x, w = self.saved()[:2]
        gx = g @ w if self.needs_input_grad(0) else None
        need_b = len(self.next_functions) == 3 and self.needs_input_grad(2)
        gw = gb = None
        if self.needs_input_grad(1) or need_b:
            g2 = g.reshape(-1, g.shape[-1])
            if self.needs_input_grad(1):
                gw = D.mT(g2) @ x.reshape(-1, x.shape[-1])
            if need_b:
                gb = g2.sum(0)
        return (gx, gw, gb) if len(self.next_functions) == 3 else (gx, gw)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight^T + bias, for input (*, in_features), weight (out_features, in_features)."""
    if weight.ndim != 2 or input.ndim < 1 or input.shape[-1] != weight.shape[1]:
        raise RuntimeError(
            f"linear: input of shape {list(input.shape)} cannot be multiplied by weight of shape "
            f"{list(weight.shape)}: the input's last dimension must equal weight.shape[1] (in_features)"
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(
            f"linear: bias of shape {list(bias.shape)} does not match out_features={weight.shape[0]}; "
            f"expected shape [{weight.shape[0]}]"
        )
    if bias is None:
        return Linear.apply(input, weight)
    return Linear.apply(input, weight, bias)
