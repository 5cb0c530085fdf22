"""``torch.nn.modules`` paths: ``from autograd_core.nn.modules.loss import _Loss`` and the like resolve to this
package's layer-family modules (PyTorch's file names mapped onto ours: batchnorm -> normalization, ...)."""

from __future__ import annotations

import importlib
import sys
import types

# each family by its own module name (not through the nn package, which imports this one)
_NAMES = ("activation", "attention", "container", "conv", "distance", "dropout", "linear", "loss", "module",
          "normalization", "padding", "pooling", "rnn", "transformer", "upsampling")
_FAMILIES = {n: importlib.import_module(f"autograd_core.nn.{n}") for n in _NAMES}

_PATHS = {
    **_FAMILIES, "batchnorm": _FAMILIES["normalization"], "instancenorm": _FAMILIES["normalization"],
    "sparse": _FAMILIES["linear"], "flatten": _FAMILIES["linear"], "pixelshuffle": _FAMILIES["upsampling"],
    "fold": _FAMILIES["upsampling"],
}
# torch defines MultiheadAttention in nn/modules/activation.py: that path sees both families
_activation = types.ModuleType(f"{__name__}.activation", _FAMILIES["activation"].__doc__)
_activation.__dict__.update({k: v for k, v in vars(_FAMILIES["activation"]).items() if not k.startswith("__")})
_activation.MultiheadAttention = _FAMILIES["attention"].MultiheadAttention
_PATHS["activation"] = _activation
for _name, _mod in _PATHS.items():
    sys.modules[f"{__name__}.{_name}"] = _mod
    globals()[_name] = _mod


def __getattr__(name: str):  # the layer classes themselves: nn.modules.Linear, as torch.nn.modules.Linear
    for fam in _FAMILIES.values():
        if name in getattr(fam, "__all__", ()):
            return getattr(fam, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
