"""The curriculum map: each topic of the five lecture decks → the lesson, preset or lab that
teaches it here. Plain data, so a test can check every page and preset it names exists."""

from __future__ import annotations

from dataclasses import dataclass

DECKS = {
    "A": "ADACS astroinformatics school 2019: artificial neural networks",
    "B": "F5611 Machine learning for astronomers, lecture 4 (neural networks)",
    "C": "ICE-CSIC summer school 2021: deep learning and neural networks",
    "D": "Artificial neural networks (2019): MLPs, CNNs, RNNs",
    "E": "Fundamentals of deep neural networks, and DL in astronomy",
}


@dataclass(frozen=True)
class Link:
    kind: str  # "page" (an app_pages/ file) or "preset" (a Playground preset name)
    target: str
    label: str
    url: str  # relative address: the page's url_path in app.py, or playground?preset=…


def _page(path: str, url: str, label: str) -> Link:
    return Link("page", f"app_pages/{path}", label, url)


def _preset(name: str, label: str) -> Link:
    return Link("preset", name, label, f"playground?preset={name}")


@dataclass(frozen=True)
class Topic:
    topic: str
    decks: str  # letters of DECKS
    links: tuple[Link, ...]


L1 = _page("lessons/perceptron.py", "lesson-perceptron", "Lesson 1")
L2 = _page("lessons/backprop.py", "lesson-backprop", "Lesson 2")
L3 = _page("lessons/functions.py", "lesson-functions", "Lesson 3")
L4 = _page("lessons/convolution.py", "lesson-convolution", "Lesson 4")
L5 = _page("lessons/gradients.py", "lesson-gradients", "Lesson 5")
L6 = _page("lessons/code.py", "lesson-code", "Lesson 6")
IMAGES = _page("images.py", "images", "Train on images")

CURRICULUM: tuple[Topic, ...] = (
    Topic("The perceptron: weighted sum, bias, activation", "ABCDE",
          (L1, _preset("start", "preset: a circle"))),
    Topic("A single perceptron fails on XOR; hidden layers fix it", "AD",
          (L1, _preset("perceptron-xor", "preset: XOR"),
           _preset("xor-hidden-layer", "preset: XOR + hidden layer"))),
    Topic("Activation functions (sigmoid, tanh, ReLU, leaky ReLU, ELU, maxout, Gaussian)",
          "ABDE", (L3, _preset("sigmoid-vanishing", "preset: sigmoid stack"))),
    Topic("Loss functions and the output layer each needs", "ADE",
          (L3, _preset("multiclass", "preset: four classes"),
           _preset("regression-sin", "preset: regression"))),
    Topic("Forward pass, computational graphs, backpropagation and the chain rule", "BCDE",
          (L2,)),
    Topic("Gradient descent and the learning rate", "ABCD",
          (_page("learning_rate.py", "learning-rate", "Learning-rate lab"),
           _preset("lr-too-high", "preset: rate too high"))),
    Topic("Stochastic and mini-batch gradient descent, batch size, epochs", "ABD",
          (_preset("batch-size", "preset: batch size 1"),
           _page("learning_rate.py", "learning-rate", "Learning-rate lab"))),
    Topic("Optimizers: momentum, Nesterov, AdaGrad, Adadelta, RMSProp, Adam", "BE",
          (_page("optimizers.py", "optimizers", "Optimizers lab"),)),
    Topic("Loss landscapes and local minima", "BD",
          (_page("optimizers.py", "optimizers", "Optimizers lab"),)),
    Topic("Weight initialisation: too small, too big, just right", "B",
          (L5, _preset("init-too-large", "preset: too large"),
           _preset("init-zeros", "preset: zeros"))),
    Topic("Vanishing gradients; ReLU and normalisation as remedies", "BC",
          (L5, _preset("deep-relu-vs-sigmoid", "preset: ten layers deep"))),
    Topic("Batch normalisation", "BE", (L5, IMAGES)),
    Topic("Normalising the inputs", "B", (IMAGES,)),
    Topic("Over-fitting: L1/L2 regularisation, dropout, early stopping", "BD",
          (_preset("overfitting", "preset: over-fitting"),)),
    Topic("Feature engineering and depth", "CD",
          (_preset("features", "preset: good features"),
           _preset("spiral-depth", "preset: spirals"))),
    Topic("The MNIST MLP 784-16-16-10 and its 13,002 parameters", "C", (L6, IMAGES)),
    Topic("Convolution: kernels, stride, padding; pooling", "BE",
          (L4, _page("feature_maps.py", "feature-maps", "Feature maps"))),
    Topic("CNNs on images: digits and galaxy morphology", "BE",
          (IMAGES, _page("draw.py", "draw", "Draw a digit"),
           _page("galaxy.py", "galaxies", "Classify galaxies"))),
    Topic("Data augmentation", "B", (IMAGES,)),
    Topic("Transfer learning", "BE",
          (_page("galaxy.py", "galaxies", "Classify galaxies (fine-tune)"),)),
    Topic("Keras Sequential code: compile, fit, evaluate", "BE", (L6,)),
)


def markdown_table() -> str:
    """The map as a Markdown table: topic, decks, and where to learn it (relative links)."""
    lines = ["| Deck topic | Decks | Learn it here |", "| --- | --- | --- |"]
    for t in CURRICULUM:
        links = " · ".join(f"[{link.label}]({link.url})" for link in t.links)
        lines.append(f"| {t.topic} | {' '.join(t.decks)} | {links} |")
    return "\n".join(lines)


NOT_COVERED = ("recurrent networks and LSTMs", "autoencoders", "GANs",
               "adversarial examples", "random vs grid hyper-parameter search")
"""Deck topics the playground does not teach (yet): said openly on the Home page."""
