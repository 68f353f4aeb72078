"""Loss registry and the output head it implies.

The network always ends in a dense output layer that returns raw scores (logits); the loss
decides how many output units there are and which output activation turns scores into
predictions. Pairing them here means a user can never pick an incompatible output activation.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from core.errors import ConfigError

LOSSES: dict[str, str] = {
    "mse": "Mean squared error",
    "mae": "Mean absolute error",
    "huber": "Huber",
    "bce": "Binary cross-entropy",
    "cce": "Categorical cross-entropy",
    "hinge": "Hinge (multi-class margin)",
}
REGRESSION_LOSSES = ("mse", "mae", "huber")
_DISTANCE = {"mse": nn.MSELoss, "mae": nn.L1Loss, "huber": nn.HuberLoss}


@dataclass(frozen=True)
class Head:
    """How raw network outputs become a loss, predictions and an accuracy for one task."""

    loss: str
    task: str  # "classification" | "regression"
    n_classes: int  # 0 for regression
    out_units: int
    output_activation: str  # "sigmoid" | "softmax" | "linear": shown in the summary

    @property
    def single_logit(self) -> bool:
        return self.task == "classification" and self.out_units == 1

    def criterion(self, class_weights: torch.Tensor | None = None) -> nn.Module:
        """`class_weights` (one per class) make rare classes count more; distance losses on
        probabilities ignore them."""
        if self.loss == "bce":
            pos = None if class_weights is None else class_weights[1] / class_weights[0]
            return nn.BCEWithLogitsLoss(pos_weight=pos)
        if self.loss == "cce":
            return nn.CrossEntropyLoss(weight=class_weights)
        if self.loss == "hinge":
            return nn.MultiMarginLoss(weight=class_weights)
        return _DISTANCE[self.loss]()

    def prepare_targets(self, y: torch.Tensor) -> torch.Tensor:
        """Targets in the form the criterion wants, computed once per dataset (not per step)."""
        if self.task == "regression":
            return y.float().reshape(len(y), -1)
        if self.loss in ("cce", "hinge"):
            return y.long()
        if self.single_logit:
            return y.float().reshape(-1, 1)
        return F.one_hot(y.long(), self.n_classes).float()

    def outputs_for_loss(self, logits: torch.Tensor) -> torch.Tensor:
        """Distance losses on a classification task compare probabilities with 0/1 targets."""
        if self.task == "classification" and self.loss in REGRESSION_LOSSES:
            return self.predict(logits)
        return logits

    def predict(self, logits: torch.Tensor) -> torch.Tensor:
        """Probabilities (classification: sigmoid or softmax) or values (regression)."""
        if self.output_activation == "sigmoid":
            return torch.sigmoid(logits)
        if self.output_activation == "softmax":
            return torch.softmax(logits, dim=1)
        return logits

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        """(n, n_classes) class probabilities, also for a single-logit binary head."""
        p = self.predict(logits)
        return torch.cat([1 - p, p], dim=1) if self.single_logit else p

    def predicted_class(self, logits: torch.Tensor) -> torch.Tensor:
        if self.single_logit:
            return (logits[:, 0] > 0).long()
        return logits.argmax(dim=1)


def make_head(loss: str, task: str, n_classes: int, target_dim: int = 1) -> Head:
    """Pick output units and activation for (loss, task); refuse pairs that make no sense."""
    if loss not in LOSSES:
        raise ConfigError(f"training.loss: unknown loss '{loss}' (choose from {', '.join(LOSSES)})")
    if task == "regression":
        if loss not in REGRESSION_LOSSES:
            raise ConfigError(
                f"training.loss: '{loss}' is a classification loss, but this dataset is a "
                "regression task; use mse, mae or huber"
            )
        return Head(loss, task, 0, target_dim, "linear")
    if loss == "bce":
        if n_classes != 2:
            raise ConfigError(
                f"training.loss: binary cross-entropy needs 2 classes, but this dataset has "
                f"{n_classes}; use categorical cross-entropy (cce)"
            )
        return Head(loss, task, 2, 1, "sigmoid")
    if loss in ("cce", "hinge"):
        return Head(loss, task, n_classes, n_classes, "softmax")
    if n_classes == 2:
        return Head(loss, task, 2, 1, "sigmoid")
    return Head(loss, task, n_classes, n_classes, "softmax")
