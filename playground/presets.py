"""Lessons as presets: each a complete configuration plus one paragraph that says what to watch.

Plain data (no Streamlit), so tests can check that every preset validates and behaves as its
text promises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.config import RunConfig


@dataclass(frozen=True)
class Preset:
    title: str
    lesson: str
    dataset: dict[str, Any] = field(default_factory=dict)
    layers: list[tuple[int, str]] = field(default_factory=list)
    network: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)

    def config(self) -> RunConfig:
        data = RunConfig().to_dict()
        data["dataset"].update(self.dataset)
        data["network"].update(self.network)
        data["network"]["layers"] = [{"type": "dense", "units": u, "activation": a}
                                     for u, a in self.layers]
        data["training"].update(self.training)
        return RunConfig.from_dict(data)


PRESETS: dict[str, Preset] = {
    "start": Preset(
        "Start here: a circle",
        "Two small tanh layers learn to separate the inner from the outer ring. Press play and "
        "watch the output heatmap bend around the blue points while both loss curves fall; "
        "every small square in the network is what one neuron computes over the plane.",
        {"name": "circle", "noise": 0.1}, [(4, "tanh"), (2, "tanh")],
        training={"optimizer": "sgd", "lr": 0.03},
    ),
    "perceptron-xor": Preset(
        "A single perceptron cannot solve XOR",
        "With no hidden layer the network is one perceptron: a sigmoid of a weighted sum, "
        "so its boundary is a straight line. XOR needs two lines, so accuracy stalls near "
        "chance however long it trains. Now tick the x1·x2 input feature (one multiplication "
        "the perceptron could not do by itself) or add a hidden layer, and play again.",
        {"name": "xor", "noise": 0.0}, [],
        training={"optimizer": "sgd", "lr": 0.1},
    ),
    "features": Preset(
        "Good features beat depth",
        "A circle is not linearly separable in (x1, x2), but it is in (x1², x2²): with those "
        "two features a single perceptron draws a perfect ring. Feature engineering moves the "
        "problem into a space where a simple model suffices.",
        {"name": "circle", "noise": 0.0, "features": ["x1^2", "x2^2"]}, [],
        training={"optimizer": "sgd", "lr": 0.03},
    ),
    "spiral-depth": Preset(
        "Spirals need depth (or features)",
        "Two interleaved spirals defeat a shallow net on raw coordinates. Three hidden layers "
        "of 12 tanh units, trained with Adam, wind the boundary around both arms: watch the "
        "later layers' neurons draw curves the first layer could not. Remove layers to see it "
        "fail, or add the sin x1 and sin x2 features to make it easier.",
        {"name": "spiral", "noise": 0.0}, [(12, "tanh"), (12, "tanh"), (12, "tanh")],
        training={"optimizer": "adam", "lr": 0.01},
    ),
    "lr-too-high": Preset(
        "Learning rate too high: divergence",
        "Plain SGD on a tilted plane with learning rate 1: each step overshoots the minimum by "
        "more than it corrects, the loss grows geometrically, and within a few steps it is "
        "infinite. The run stops and keeps the last good weights. Lower the rate to 0.1 and "
        "play again; try 0.001 to see the opposite problem, a crawl.",
        {"name": "plane", "noise": 0.1}, [(4, "tanh")],
        training={"loss": "mse", "optimizer": "sgd", "lr": 1.0},
    ),
    "sigmoid-vanishing": Preset(
        "Sigmoid in a deep stack: vanishing gradients",
        "Six sigmoid layers: the derivative of a sigmoid is at most 0.25, so the gradient "
        "shrinks at every layer on its way back and the first layers barely move. The loss "
        "sits at 0.69 (chance) for a long time. Switch every layer to tanh or ReLU and it "
        "learns in a few epochs.",
        {"name": "circle", "noise": 0.0}, [(8, "sigmoid")] * 6,
        training={"optimizer": "sgd", "lr": 0.03},
    ),
    "init-too-large": Preset(
        "Weights initialised too large saturate tanh",
        "Normal initialisation with standard deviation 4: the weighted sums are large, tanh "
        "sits at ±1 almost everywhere (look at the hard-edged neuron squares) and its "
        "gradient is nearly zero, so learning is slow and jumpy. Switch to Xavier/Glorot and "
        "compare; try std 0.01 to see the opposite, a network that starts dead flat.",
        {"name": "circle", "noise": 0.0}, [(4, "tanh"), (4, "tanh")],
        network={"init": "normal", "init_std": 4.0},
        training={"optimizer": "sgd", "lr": 0.03},
    ),
    "init-zeros": Preset(
        "Zero initialisation: every neuron the same",
        "All weights start at zero, so every neuron of a layer computes the same thing and "
        "receives the same gradient: they can never become different (the symmetry is never "
        "broken) and the network stays stuck. Any random initialisation fixes it.",
        {"name": "circle", "noise": 0.0}, [(4, "tanh"), (4, "tanh")],
        network={"init": "zeros"}, training={"optimizer": "sgd", "lr": 0.03},
    ),
    "overfitting": Preset(
        "Over-fitting: dropout, L2 and early stopping",
        "120 noisy points and a big network (3 × 32 ReLU): the training loss goes to zero "
        "while the test loss turns and climbs, because the net memorises the noise (see the "
        "boundary carve out single points). Set L2 to 0.003 and reset: the boundary "
        "becomes a smooth ring and the test loss stays low. Early stopping (patience 30) "
        "keeps the best epoch instead; dropout alone helps less on so little data.",
        {"name": "circle", "noise": 0.5, "samples": 120}, [(32, "relu")] * 3,
        training={"optimizer": "adam", "lr": 0.01, "epochs": 300},
    ),
    "multiclass": Preset(
        "Four classes: softmax and categorical cross-entropy",
        "Four Gaussian blobs. The output layer now has four units with a softmax, and the "
        "loss is categorical cross-entropy; each region of the heatmap takes the colour of "
        "the class the network is most sure of, paler where it hesitates.",
        {"name": "gauss", "classes": 4, "noise": 0.2}, [(8, "relu")],
        training={"loss": "cce", "optimizer": "adam", "lr": 0.03},
    ),
    "regression-sin": Preset(
        "Regression: fitting a sine curve",
        "A 1-D regression: the network must draw sin(x) through noisy points using a sum of "
        "bent tanh pieces. Watch how each hidden neuron is one smooth step and the output adds "
        "them up; try ReLU for a piecewise-linear fit.",
        {"name": "sin", "noise": 0.1, "features": ["x1"]}, [(8, "tanh"), (8, "tanh")],
        training={"loss": "mse", "optimizer": "adam", "lr": 0.01},
    ),
    "batch-size": Preset(
        "Batch size 1: noisy steps",
        "With a batch of one point, every step follows a single example: many cheap, noisy "
        "steps per epoch, and a jittery loss. Slide the batch size to the full training set "
        "for one smooth, expensive step per epoch, and compare the curves.",
        {"name": "moons", "noise": 0.2}, [(8, "relu"), (8, "relu")],
        training={"optimizer": "sgd", "lr": 0.01, "batch_size": 1},
    ),
    "xor-hidden-layer": Preset(
        "One hidden layer solves XOR",
        "The XOR data again, now with one hidden layer of four tanh units between the inputs "
        "and the output. Each hidden unit draws one line; the output combines them, so the "
        "boundary can bend into the cross shape XOR needs. Press play: within a hundred "
        "epochs accuracy passes 90 %, where the single perceptron stayed near 50 %. Delete "
        "the hidden layer to see it fail.",
        {"name": "xor", "noise": 0.0}, [(4, "tanh")],
        training={"optimizer": "sgd", "lr": 0.1},
    ),
    "deep-relu-vs-sigmoid": Preset(
        "Ten layers deep: ReLU with He initialisation",
        "The gradient-flow lesson's network in the Playground: ten narrow ReLU layers with He "
        "initialisation learn the circle, while the same stack with sigmoid (switch every "
        "layer) hardly moves. Watch the first layer's neuron squares: they change only when "
        "the gradient reaches them.",
        {"name": "circle", "noise": 0.1}, [(8, "relu")] * 10,
        network={"init": "he_normal"}, training={"optimizer": "sgd", "lr": 0.03},
    ),
}
DEFAULT_PRESET = "start"


def preset_configs() -> dict[str, RunConfig]:
    return {name: preset.config() for name, preset in PRESETS.items()}
