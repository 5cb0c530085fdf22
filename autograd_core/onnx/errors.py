"""The exporter's exceptions (PyTorch's names, from ``torch.onnx.errors``)."""

from __future__ import annotations


class OnnxExporterError(RuntimeError):
    """The model cannot be exported as it is (the message says why and what to change)."""


class UnsupportedOperatorError(OnnxExporterError):
    """The traced graph holds ops that have no ONNX conversion (the message lists them and the supported ones)."""
