"""A RunConfig written out as the code a student would type: Keras `Sequential` (as the lecture
decks write it) and plain PyTorch (what the engine runs), plus the summary table both share.

The PyTorch text is executable (tests run it and compare parameter counts and outputs with
`core.build`); the Keras text is for reading and typing, Keras being no dependency of ours.
Parameter counts agree layer by layer; Keras' BatchNormalization additionally lists its two
running statistics per channel as non-trainable parameters, which torch keeps as buffers.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from core.build import BuiltModel, build_model
from core.config import RunConfig
from core.data import Dataset
from core.layers import with_defaults
from core.losses import make_head


@dataclass(frozen=True)
class NetworkShape:
    """What code generation needs to know about the data: no data itself."""

    input_shape: tuple[int, ...]  # ours: (features,) or (channels, height, width)
    task: str  # "classification" | "regression"
    n_classes: int  # 0 for regression
    target_dim: int = 1

    @classmethod
    def of(cls, dataset: Dataset) -> NetworkShape:
        return cls(tuple(dataset.input_shape), dataset.task, dataset.n_classes,
                   dataset.target_dim)

    @classmethod
    def of_model_file(cls, meta: dict) -> NetworkShape:
        """From a saved model's metadata (core.models.model_io.read_metadata): no data needed."""
        n = len(meta["class_names"]) if meta["task"] == "classification" else 0
        return cls(tuple(meta["input_shape"]), meta["task"], n)

    def empty_dataset(self) -> Dataset:
        x = torch.zeros(0, *self.input_shape)
        y = torch.zeros(0, dtype=torch.long)
        names = [str(i) for i in range(self.n_classes)]
        if self.task == "regression":
            y = torch.zeros(0, self.target_dim) if self.target_dim > 1 else torch.zeros(0)
        return Dataset(name="shape-only", task=self.task, x_train=x, y_train=y, x_test=x,
                       y_test=y, input_shape=self.input_shape, class_names=names)


def summary(config: RunConfig, shape: NetworkShape) -> BuiltModel:
    """The engine's own model and Keras-style summary rows for this config and data shape."""
    return build_model(config, shape.empty_dataset())


# ----- PyTorch ---------------------------------------------------------------------------------
_TORCH_ACT = {"sigmoid": "nn.Sigmoid()", "tanh": "nn.Tanh()", "relu": "nn.ReLU()",
              "leaky_relu": "nn.LeakyReLU(0.1)", "elu": "nn.ELU()", "gelu": "nn.GELU()",
              "softplus": "nn.Softplus()", "gaussian": "Gaussian()"}
_GAUSSIAN_TORCH = '''class Gaussian(nn.Module):
    """exp(-x^2): torch has no built-in for it."""

    def forward(self, x):
        return torch.exp(-x * x)
'''
_MAXOUT_TORCH = '''class Maxout(nn.Module):
    """`pieces` linear functions per unit; each unit keeps the largest."""

    def __init__(self, in_features, units, pieces):
        super().__init__()
        self.units, self.pieces = units, pieces
        self.linear = nn.Linear(in_features, units * pieces)

    def forward(self, x):
        return self.linear(x).view(-1, self.units, self.pieces).amax(dim=2)
'''
_TORCH_LOSS = {"mse": "nn.MSELoss()", "mae": "nn.L1Loss()", "huber": "nn.HuberLoss()",
               "bce": "nn.BCEWithLogitsLoss()  # the sigmoid is inside the loss",
               "cce": "nn.CrossEntropyLoss()  # the softmax is inside the loss",
               "hinge": "nn.MultiMarginLoss()  # multi-class hinge on the raw scores"}
_TORCH_INIT = {"xavier_uniform": "nn.init.xavier_uniform_(m.weight)",
               "xavier_normal": "nn.init.xavier_normal_(m.weight)",
               "he_uniform": "nn.init.kaiming_uniform_(m.weight, nonlinearity=\"relu\")",
               "he_normal": "nn.init.kaiming_normal_(m.weight, nonlinearity=\"relu\")",
               "normal": "nn.init.normal_(m.weight, 0.0, {std})",
               "zeros": "nn.init.zeros_(m.weight)"}


def _torch_optimizer(config: RunConfig) -> str:
    t = config.training
    lr = f"lr={t.lr:g}"
    return {
        "sgd": f"torch.optim.SGD(model.parameters(), {lr})",
        "momentum": f"torch.optim.SGD(model.parameters(), {lr}, momentum={t.momentum:g})",
        "nesterov": f"torch.optim.SGD(model.parameters(), {lr}, momentum={t.momentum:g}, "
                    "nesterov=True)",
        "adagrad": f"torch.optim.Adagrad(model.parameters(), {lr})",
        "adadelta": f"torch.optim.Adadelta(model.parameters(), {lr}, rho={t.rho:g})",
        "rmsprop": f"torch.optim.RMSprop(model.parameters(), {lr}, alpha={t.rho:g})",
        "adam": f"torch.optim.Adam(model.parameters(), {lr}, betas=({t.beta1:g}, {t.beta2:g}))",
        "adamw": f"torch.optim.AdamW(model.parameters(), {lr}, betas=({t.beta1:g}, "
                 f"{t.beta2:g}), weight_decay={t.weight_decay:g})",
    }[t.optimizer]


def _torch_layers(config: RunConfig, shape: NetworkShape) -> tuple[list[str], set[str]]:
    """One constructor per line, in the order the engine builds its modules."""
    built = summary(config, shape)
    lines: list[str] = []
    helpers: set[str] = set()
    in_shape = shape.input_shape
    for raw, row in zip(config.network.layers, built.summary, strict=False):
        spec = with_defaults(raw)
        kind = spec["type"]
        if kind == "dense":
            if spec["activation"] == "maxout":
                helpers.add("maxout")
                lines.append(f"Maxout({in_shape[0]}, {spec['units']}, {spec['pieces']}),")
            else:
                lines.append(f"nn.Linear({in_shape[0]}, {spec['units']}),")
                lines += _torch_activation(spec["activation"], helpers)
            if config.training.dropout > 0:
                lines.append(f"nn.Dropout({config.training.dropout:g}),")
        elif kind == "conv2d":
            same = spec["padding"] == "same" and spec["stride"] == 1
            pad = '"same"' if same else str(spec["kernel"] // 2 if spec["padding"] == "same"
                                              else 0)
            stride = f", stride={spec['stride']}" if spec["stride"] != 1 else ""
            lines.append(f"nn.Conv2d({in_shape[0]}, {spec['filters']}, "
                         f"kernel_size={spec['kernel']}{stride}, padding={pad}),")
            lines += _torch_activation(spec["activation"], helpers)
        elif kind in ("maxpool", "avgpool"):
            cls = "nn.MaxPool2d" if kind == "maxpool" else "nn.AvgPool2d"
            lines.append(f"{cls}({spec['size']}, stride={spec['stride'] or spec['size']}),")
        elif kind == "batchnorm":
            cls = "nn.BatchNorm1d" if len(in_shape) == 1 else "nn.BatchNorm2d"
            lines.append(f"{cls}({in_shape[0]}),")
        elif kind == "dropout":
            lines.append(f"nn.Dropout({spec['rate']:g}),")
        elif kind == "flatten":
            lines.append(f"nn.Flatten(),  # {'×'.join(map(str, in_shape))} → "
                         f"{row.output_shape[0]:,} values")
        if raw.get("trainable", True) is False:
            lines[-1] += "  # frozen in the playground (trainable: false)"
        in_shape = row.output_shape
    head = built.head
    lines.append(f"nn.Linear({in_shape[0]}, {head.out_units}),  # output: raw scores"
                 + ("" if head.output_activation == "linear"
                    else f"; {head.output_activation} turns them into probabilities"))
    return lines, helpers


def _torch_activation(name: str, helpers: set[str]) -> list[str]:
    if name == "linear":
        return []
    if name == "gaussian":
        helpers.add("gaussian")
    return [_TORCH_ACT[name] + ","]


def pytorch_code(config: RunConfig, shape: NetworkShape) -> str:
    """Executable PyTorch for the same network, loss, optimizer and training loop."""
    lines, helpers = _torch_layers(config, shape)
    t, n = config.training, config.network
    init = _TORCH_INIT[n.init].format(std=f"{n.init_std:g}")
    parts = ["import torch", "from torch import nn", ""]
    if "gaussian" in helpers:
        parts += ["", _GAUSSIAN_TORCH]
    if "maxout" in helpers:
        parts += ["", _MAXOUT_TORCH]
    body = "\n".join("    " + line for line in lines)
    in_text = ", ".join(map(str, shape.input_shape))
    parts += [
        f"torch.manual_seed({t.seed})",
        f"# input: batches of shape (batch, {in_text})",
        f"model = nn.Sequential(\n{body}\n)",
        "",
        "for m in model.modules():  # initialisation: " + n.init,
        "    if isinstance(m, (nn.Linear, nn.Conv2d)):",
        f"        {init}",
        "        nn.init.zeros_(m.bias)",
        "",
        f"loss_fn = {_TORCH_LOSS[t.loss]}",
        f"optimizer = {_torch_optimizer(config)}",
        "",
        "",
        f"def train(x, y, epochs={t.epochs}, batch_size={t.batch_size}):",
        '    """x: inputs, y: targets as the loss wants them (class numbers for cross-entropy)."""',
        "    for epoch in range(epochs):",
        "        model.train()",
        "        order = torch.randperm(len(x))",
        "        for start in range(0, len(x), batch_size):",
        "            batch = order[start:start + batch_size]",
        "            loss = loss_fn(model(x[batch]), y[batch])",
    ]
    if t.l1 or t.l2:
        parts += [
            "            weights = [m.weight for m in model.modules()",
            "                       if isinstance(m, (nn.Linear, nn.Conv2d))]",
        ]
        if t.l1:
            parts.append(f"            loss = loss + {t.l1:g} * sum(w.abs().sum() "
                         "for w in weights)")
        if t.l2:
            parts.append(f"            loss = loss + {t.l2:g} * sum((w * w).sum() "
                         "for w in weights)")
    parts += [
        "            optimizer.zero_grad()",
        "            loss.backward()",
        "            optimizer.step()",
        '        print(f"epoch {epoch + 1}: loss {loss.item():.4f}")',
        "",
    ]
    return "\n".join(parts)


# ----- Keras -----------------------------------------------------------------------------------
_KERAS_ACT = {"sigmoid": '"sigmoid"', "tanh": '"tanh"', "relu": '"relu"', "elu": '"elu"',
              "gelu": '"gelu"', "softplus": '"softplus"', "gaussian": "gaussian"}
_KERAS_LOSS = {"mse": '"mse"', "mae": '"mae"', "huber": '"huber"',
               "bce": '"binary_crossentropy"', "cce": '"sparse_categorical_crossentropy"',
               "hinge": '"categorical_hinge"'}
_KERAS_LOSS_NOTE = {"hinge": "  # categorical_hinge wants one-hot labels",
                    "cce": "  # labels as class numbers"}
_KERAS_INIT = {"xavier_uniform": '"glorot_uniform"', "xavier_normal": '"glorot_normal"',
               "he_uniform": '"he_uniform"', "he_normal": '"he_normal"',
               "normal": "keras.initializers.RandomNormal(stddev={std})", "zeros": '"zeros"'}


def _keras_optimizer(config: RunConfig) -> str:
    t = config.training
    lr = f"learning_rate={t.lr:g}"
    return "keras.optimizers." + {
        "sgd": f"SGD({lr})",
        "momentum": f"SGD({lr}, momentum={t.momentum:g})",
        "nesterov": f"SGD({lr}, momentum={t.momentum:g}, nesterov=True)",
        "adagrad": f"Adagrad({lr})",
        "adadelta": f"Adadelta({lr}, rho={t.rho:g})",
        "rmsprop": f"RMSprop({lr}, rho={t.rho:g})",
        "adam": f"Adam({lr}, beta_1={t.beta1:g}, beta_2={t.beta2:g})",
        "adamw": f"AdamW({lr}, weight_decay={t.weight_decay:g}, beta_1={t.beta1:g}, "
                 f"beta_2={t.beta2:g})",
    }[t.optimizer]


def _keras_extras(config: RunConfig) -> str:
    """Initialiser and L1/L2 arguments shared by Dense and Conv2D lines."""
    n, t = config.network, config.training
    extras = []
    if n.init != "xavier_uniform":  # Keras' default is Glorot uniform already
        extras.append("kernel_initializer=" + _KERAS_INIT[n.init].format(std=f"{n.init_std:g}"))
    if t.l1 or t.l2:
        extras.append(f"kernel_regularizer=keras.regularizers.L1L2(l1={t.l1:g}, l2={t.l2:g})")
    return "".join(", " + e for e in extras)


def _keras_activation(name: str, helpers: set[str]) -> tuple[str, list[str]]:
    """(the activation= argument, layers to add after) for one of our activations."""
    if name == "linear":
        return "", []
    if name == "leaky_relu":
        return "", ["layers.LeakyReLU(negative_slope=0.1),"]
    if name == "gaussian":
        helpers.add("gaussian")
    return f", activation={_KERAS_ACT[name]}", []


def keras_code(config: RunConfig, shape: NetworkShape) -> str:
    """Keras `Sequential` code for the same network as the lecture decks write it."""
    built = summary(config, shape)
    extras = _keras_extras(config)
    helpers: set[str] = set()
    lines: list[str] = []
    in_shape = shape.input_shape
    keras_in = in_shape if len(in_shape) == 1 else (*in_shape[1:], in_shape[0])
    lines.append(f"keras.Input(shape={tuple(keras_in)}),"
                 + ("  # Keras puts the channels last" if len(in_shape) == 3 else ""))
    for raw, row in zip(config.network.layers, built.summary, strict=False):
        spec = with_defaults(raw)
        kind = spec["type"]
        if kind == "dense":
            if spec["activation"] == "maxout":
                k, units = spec["pieces"], spec["units"]
                lines += [f"layers.Dense({units * k}{extras}),  # maxout: {k} pieces per unit",
                          f"layers.Reshape(({units}, {k})),",
                          "layers.Lambda(lambda z: keras.ops.max(z, axis=-1)),"]
            else:
                act, after = _keras_activation(spec["activation"], helpers)
                lines.append(f"layers.Dense({spec['units']}{act}{extras}),")
                lines += after
            if config.training.dropout > 0:
                lines.append(f"layers.Dropout({config.training.dropout:g}),")
        elif kind == "conv2d":
            act, after = _keras_activation(spec["activation"], helpers)
            stride = f", strides={spec['stride']}" if spec["stride"] != 1 else ""
            lines.append(f"layers.Conv2D({spec['filters']}, {spec['kernel']}{stride}, "
                         f'padding="{spec["padding"]}"{act}{extras}),')
            lines += after
        elif kind in ("maxpool", "avgpool"):
            cls = "MaxPooling2D" if kind == "maxpool" else "AveragePooling2D"
            lines.append(f"layers.{cls}({spec['size']}, strides={spec['stride'] or spec['size']}),")
        elif kind == "batchnorm":
            lines.append("layers.BatchNormalization(),")
        elif kind == "dropout":
            lines.append(f"layers.Dropout({spec['rate']:g}),")
        elif kind == "flatten":
            lines.append("layers.Flatten(),")
        if raw.get("trainable", True) is False:
            lines[-1] += "  # trainable=False in the playground"
        in_shape = row.output_shape
    head = built.head
    out_act = ("" if head.output_activation == "linear"
               else f', activation="{head.output_activation}"')
    lines.append(f"layers.Dense({head.out_units}{out_act}),  # output layer")
    t = config.training
    body = "\n".join("    " + line for line in lines)
    parts = ["import keras", "from keras import layers", ""]
    if "gaussian" in helpers:
        parts += ["", "def gaussian(x):", "    return keras.ops.exp(-x * x)", "", ""]
    metrics = ', metrics=["accuracy"]' if shape.task == "classification" else ""
    callbacks = ""
    if t.early_stopping is not None:
        callbacks = (",\n          callbacks=[keras.callbacks.EarlyStopping("
                     f"patience={t.early_stopping}, restore_best_weights=True)]")
    parts += [
        f"keras.utils.set_random_seed({t.seed})",
        f"model = keras.Sequential([\n{body}\n])",
        "model.summary()",
        "",
        f"model.compile(optimizer={_keras_optimizer(config)},",
        f"              loss={_KERAS_LOSS[t.loss]}{metrics})"
        + _KERAS_LOSS_NOTE.get(t.loss, ""),
        f"model.fit(x_train, y_train, epochs={t.epochs}, batch_size={t.batch_size},",
        f"          validation_data=(x_test, y_test){callbacks})",
        "",
    ]
    return "\n".join(parts)


def output_units(config: RunConfig, shape: NetworkShape) -> int:
    """Units of the output layer the engine adds for this loss and task."""
    return make_head(config.training.loss, shape.task, shape.n_classes, shape.target_dim).out_units
