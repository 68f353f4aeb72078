"""Take a trained model home: the safetensors file (weights + config), ONNX, and a standalone
PyTorch training script. Nothing here imports Streamlit."""

from core.export.bundle import Exportable, from_job, model_file_bytes
from core.export.onnx import onnx_bytes
from core.export.script import ExportRefused, training_script

__all__ = ["Exportable", "ExportRefused", "from_job", "model_file_bytes", "onnx_bytes",
           "training_script"]
