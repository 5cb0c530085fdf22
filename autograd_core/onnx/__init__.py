"""Export models to ONNX (``autograd_core.onnx.export``, PyTorch's ``torch.onnx.export``).

The exporter traces: it runs the model's forward on the example inputs with gradient recording on, walks the
recorded graph from the outputs back to the inputs and parameters, and writes one ONNX node (or a few) per
recorded op. The ``onnx`` package is imported only when ``export`` runs (``pip install autograd_core[onnx]``).
"""

from __future__ import annotations

from ._convert import supported_ops
from ._export import DEFAULT_OPSET, ONNXProgram, OperatorExportTypes, TrainingMode, export
from .errors import OnnxExporterError, UnsupportedOperatorError

__all__ = ["DEFAULT_OPSET", "ONNXProgram", "OnnxExporterError", "OperatorExportTypes", "TrainingMode",
           "UnsupportedOperatorError", "export", "is_in_onnx_export", "supported_ops"]


def is_in_onnx_export() -> bool:
    """Whether an export is tracing right now (PyTorch's ``torch.onnx.is_in_onnx_export``)."""
    from . import _export

    return _export.EXPORTING[0] > 0
