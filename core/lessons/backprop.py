"""Backpropagation worked by hand, in plain Python floats, so every number on the page comes
from the chain rule written out (the tests check each one against torch.autograd).

Three examples, smallest first: the graph f = (x + y)·z, one sigmoid neuron with a squared
error, and a 2-2-1 sigmoid network on one example with one SGD update.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


# ----- f = (x + y)·z ---------------------------------------------------------------------------
@dataclass(frozen=True)
class GraphStep:
    """One step backwards: the node whose gradient becomes known and how it was obtained."""

    node: str
    gradient: float
    rule: str  # the chain rule with numbers, e.g. "∂f/∂x = ∂f/∂q · ∂q/∂x = -4 · 1"


@dataclass(frozen=True)
class AddMultiplyGraph:
    x: float
    y: float
    z: float

    @property
    def q(self) -> float:
        return self.x + self.y

    @property
    def f(self) -> float:
        return self.q * self.z

    def local_gradients(self) -> dict[str, float]:
        """Each edge's local derivative: ∂q/∂x, ∂q/∂y (addition) and ∂f/∂q, ∂f/∂z (product)."""
        return {"dq/dx": 1.0, "dq/dy": 1.0, "df/dq": self.z, "df/dz": self.q}

    def gradients(self) -> dict[str, float]:
        return {s.node: s.gradient for s in self.backward_steps()}

    def backward_steps(self) -> list[GraphStep]:
        """From the output back to the inputs, in the order the page reveals them."""
        loc = self.local_gradients()
        df_dq = 1.0 * loc["df/dq"]
        return [
            GraphStep("f", 1.0, "∂f/∂f = 1 (start at the output)"),
            GraphStep("z", loc["df/dz"], f"∂f/∂z = q = {_n(self.q)}"),
            GraphStep("q", df_dq, f"∂f/∂q = z = {_n(self.z)}"),
            GraphStep("x", df_dq * loc["dq/dx"],
                      f"∂f/∂x = ∂f/∂q · ∂q/∂x = {_n(df_dq)} · 1 = {_n(df_dq * loc['dq/dx'])}"),
            GraphStep("y", df_dq * loc["dq/dy"],
                      f"∂f/∂y = ∂f/∂q · ∂q/∂y = {_n(df_dq)} · 1 = {_n(df_dq * loc['dq/dy'])}"),
        ]


def _n(v: float) -> str:
    return f"{v:.4g}"


# ----- one sigmoid neuron ----------------------------------------------------------------------
@dataclass(frozen=True)
class NeuronPass:
    """a = σ(w·x + b), C = (a − y)²: forward values and each factor of the chain rule."""

    x: tuple[float, float]
    w: tuple[float, float]
    b: float
    y: float

    @property
    def z(self) -> float:
        return self.w[0] * self.x[0] + self.w[1] * self.x[1] + self.b

    @property
    def a(self) -> float:
        return sigmoid(self.z)

    @property
    def loss(self) -> float:
        return (self.a - self.y) ** 2

    @property
    def dC_da(self) -> float:
        return 2.0 * (self.a - self.y)

    @property
    def da_dz(self) -> float:
        return self.a * (1.0 - self.a)

    @property
    def dC_dz(self) -> float:
        return self.dC_da * self.da_dz

    def grad_w(self) -> tuple[float, float]:
        return (self.dC_dz * self.x[0], self.dC_dz * self.x[1])

    @property
    def grad_b(self) -> float:
        return self.dC_dz


# ----- a 2-2-1 sigmoid network on one example --------------------------------------------------
@dataclass(frozen=True)
class TinyNet:
    """h = σ(W1·x + b1) (2 units), ŷ = σ(W2·h + b2) (1 unit), L = (ŷ − y)²."""

    W1: tuple[tuple[float, float], tuple[float, float]]  # W1[j][i]: input i → hidden j
    b1: tuple[float, float]
    W2: tuple[float, float]  # hidden j → output
    b2: float

    @classmethod
    def random(cls, seed: int) -> TinyNet:
        rng = random.Random(seed)

        def r() -> float:
            return round(rng.uniform(-1.0, 1.0), 2)

        return cls(((r(), r()), (r(), r())), (r(), r()), (r(), r()), r())

    def parameters(self) -> dict[str, float]:
        """Flat names as the page and the tests use them."""
        p = {f"w1_{j + 1}{i + 1}": self.W1[j][i] for j in range(2) for i in range(2)}
        p |= {f"b1_{j + 1}": self.b1[j] for j in range(2)}
        p |= {f"w2_{j + 1}": self.W2[j] for j in range(2)}
        p["b2"] = self.b2
        return p


@dataclass(frozen=True)
class TinyNetPass:
    net: TinyNet
    x: tuple[float, float]
    y: float

    # forward
    @property
    def z1(self) -> tuple[float, float]:
        W1, b1 = self.net.W1, self.net.b1
        return tuple(W1[j][0] * self.x[0] + W1[j][1] * self.x[1] + b1[j]  # type: ignore[return-value]
                     for j in range(2))

    @property
    def h(self) -> tuple[float, float]:
        return tuple(sigmoid(z) for z in self.z1)  # type: ignore[return-value]

    @property
    def z2(self) -> float:
        return self.net.W2[0] * self.h[0] + self.net.W2[1] * self.h[1] + self.net.b2

    @property
    def y_hat(self) -> float:
        return sigmoid(self.z2)

    @property
    def loss(self) -> float:
        return (self.y_hat - self.y) ** 2

    # backward: δ is ∂L/∂z of a layer
    @property
    def delta2(self) -> float:
        return 2.0 * (self.y_hat - self.y) * self.y_hat * (1.0 - self.y_hat)

    @property
    def delta1(self) -> tuple[float, float]:
        return tuple(self.delta2 * self.net.W2[j] * self.h[j] * (1.0 - self.h[j])  # type: ignore[return-value]
                     for j in range(2))

    def gradients(self) -> dict[str, float]:
        """∂L/∂(every parameter), named as TinyNet.parameters() names them."""
        g = {f"w1_{j + 1}{i + 1}": self.delta1[j] * self.x[i] for j in range(2) for i in range(2)}
        g |= {f"b1_{j + 1}": self.delta1[j] for j in range(2)}
        g |= {f"w2_{j + 1}": self.delta2 * self.h[j] for j in range(2)}
        g["b2"] = self.delta2
        return g

    def sgd_update(self, lr: float) -> TinyNet:
        """The network after one step w ← w − η·∂L/∂w."""
        g = self.gradients()
        p = {k: v - lr * g[k] for k, v in self.net.parameters().items()}
        return TinyNet(((p["w1_11"], p["w1_12"]), (p["w1_21"], p["w1_22"])),
                       (p["b1_1"], p["b1_2"]), (p["w2_1"], p["w2_2"]), p["b2"])
