"""ONNX export with torch's own exporter: the network's raw scores and its predictions
(probabilities for a classifier, values for regression), with a free batch dimension."""

from __future__ import annotations

import copy
import io
import warnings

import torch
from torch import nn

from core.losses import Head

OPSET = 17


class _WithPrediction(nn.Module):
    """The network plus its output activation, so the ONNX file answers like the page."""

    def __init__(self, model: nn.Module, head: Head):
        super().__init__()
        self.model, self.activation = model, head.output_activation

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.model(x)
        if self.activation == "sigmoid":
            return logits, torch.sigmoid(logits)
        if self.activation == "softmax":
            return logits, torch.softmax(logits, dim=1)
        return logits, logits


def onnx_bytes(model: nn.Module, head: Head, input_shape: tuple[int, ...]) -> bytes:
    """The model as an ONNX file: input `input` (batch, *input_shape); outputs `logits` and
    `prediction`. The model is copied to the CPU in eval mode; the original is left alone."""
    wrapped = _WithPrediction(copy.deepcopy(model).to("cpu").eval(), head).eval()
    example = torch.zeros(2, *input_shape)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(wrapped, (example,), buffer, dynamo=False, opset_version=OPSET,
                          input_names=["input"], output_names=["logits", "prediction"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"},
                                        "prediction": {0: "batch"}})
    return buffer.getvalue()
