"""core.share: a RunConfig as flat link parameters and back. Dense stacks take the compact
`units:activation[:pieces]` form, anything else compact JSON; every field survives the round
trip exactly; a tampered link is a plain ConfigError naming the setting."""

from __future__ import annotations

import pytest

from core.config import RunConfig
from core.errors import ConfigError
from core.share import config_from_params, config_to_params, decode_layers, encode_layers


def dense(units: int, activation: str = "tanh", **extra) -> dict:
    return {"type": "dense", "units": units, "activation": activation, **extra}


# ----- layers --------------------------------------------------------------------------------
def test_dense_layers_use_the_compact_form_and_maxout_keeps_its_pieces() -> None:
    layers = [dense(8), dense(4, "relu"), dense(3, "maxout", pieces=3)]
    assert encode_layers(layers) == "8:tanh,4:relu,3:maxout:3"
    assert decode_layers("8:tanh,4:relu,3:maxout:3") == layers
    assert encode_layers([]) == "none"
    assert decode_layers("none") == decode_layers("") == decode_layers("  ") == []


def test_maxout_without_pieces_is_written_with_its_default() -> None:
    assert encode_layers([dense(5, "maxout")]) == "5:maxout:2"


def test_other_layers_fall_back_to_compact_json() -> None:
    conv = [{"type": "conv2d", "filters": 4, "kernel": 3, "activation": "relu"}, dense(8)]
    text = encode_layers(conv)
    assert text == ('[{"type":"conv2d","filters":4,"kernel":3,"activation":"relu"},'
                    '{"type":"dense","units":8,"activation":"tanh"}]')
    assert decode_layers(text) == conv
    with_dropout = [dense(6, dropout=0.5)]  # a dense layer with a key the short form lacks
    assert decode_layers(encode_layers(with_dropout)) == with_dropout
    assert encode_layers(with_dropout).startswith("[")


@pytest.mark.parametrize(("text", "part"), [("8", "8"), ("8:tanh,x:relu", "x:relu"),
                                            ("4:maxout:three", "4:maxout:three")])
def test_a_layer_that_is_not_units_activation_is_a_plain_error(text: str, part: str) -> None:
    index = text.split(",").index(part) + 1
    with pytest.raises(ConfigError, match=f"^layer {index}: '{part}' in the link is not "
                                          "units:activation$"):
        decode_layers(text)


def test_broken_json_layers_are_a_plain_error() -> None:
    with pytest.raises(ConfigError, match="network.layers in the link"):
        decode_layers('[{"type": "dense", ')


# ----- whole configs -------------------------------------------------------------------------
def test_the_default_config_reads_as_flat_readable_parameters() -> None:
    params = config_to_params(RunConfig())
    assert params["dataset.name"] == "circle"
    assert params["dataset.features"] == "x1,x2"
    assert params["dataset.subset"] == "none"
    assert params["dataset.augment"] == "{}"
    assert params["network.layers"] == "4:tanh,2:tanh"
    assert params["training.lr"] == "0.03"
    assert params["training.early_stopping"] == "none"
    assert all(isinstance(v, str) for v in params.values())
    assert {k.split(".")[0] for k in params} == {"dataset", "network", "training"}
    assert config_from_params(params).to_dict() == RunConfig().to_dict()


def _changed() -> RunConfig:
    config = RunConfig()
    d = config.to_dict()
    d["dataset"].update(name="spiral", samples=321, noise=0.25, classes=3,
                        features=["x1", "x2", "sin_x1", "x1x2"])
    d["network"].update(layers=[dense(12, "relu"), dense(6, "maxout", pieces=4)],
                        init="normal", init_std=0.05)
    d["training"].update(loss="cce", optimizer="adam", lr=0.0042, batch_size=25, epochs=37,
                         l2=0.001, early_stopping=15, seed=7, device="cpu")
    return RunConfig.from_dict(d)


def test_every_field_survives_the_round_trip() -> None:
    config = _changed()
    params = config_to_params(config)
    assert params["network.layers"] == "12:relu,6:maxout:4"
    assert params["dataset.features"] == "x1,x2,sin_x1,x1x2"
    assert params["training.early_stopping"] == "15"
    back = config_from_params(params)
    assert back.to_dict() == config.to_dict()
    assert back.training.lr == 0.0042 and back.training.early_stopping == 15


def test_image_settings_and_dict_values_survive_the_round_trip() -> None:
    d = RunConfig().to_dict()
    d["dataset"].update(name="mnist", subset=2000, image_size=20, crop=24,
                        normalization="standardize", augment={"shift": 2, "rotation": 15.0})
    d["network"]["layers"] = [{"type": "conv2d", "filters": 4, "kernel": 3,
                               "activation": "relu"}, {"type": "flatten"}, dense(8, "relu")]
    d["training"]["loss"] = "cce"
    config = RunConfig.from_dict(d)
    params = config_to_params(config)
    assert params["dataset.augment"] == '{"shift":2,"rotation":15.0}'
    assert params["dataset.subset"] == "2000"
    assert config_from_params(params).to_dict() == config.to_dict()


def test_column_names_with_commas_travel_as_json() -> None:
    d = RunConfig().to_dict()
    d["dataset"].update(name="csv", path="tables/stars.csv", columns=["a,b", "c"], target="c")
    config = RunConfig.from_dict(d)
    params = config_to_params(config)
    assert params["dataset.columns"] == '["a,b","c"]'
    assert config_from_params(params).dataset.columns == ["a,b", "c"]
    plain = dict(params, **{"dataset.columns": "g_r,u_g"})
    assert config_from_params(plain).dataset.columns == ["g_r", "u_g"]


def test_a_partial_link_fills_the_rest_from_the_defaults() -> None:
    config = config_from_params({"training.lr": "0.1", "dataset.name": "xor",
                                 "page": "playground"})  # keys of no section are not config
    expected = RunConfig()
    expected.training.lr = 0.1
    expected.dataset.name = "xor"
    assert config.to_dict() == expected.to_dict()


def test_a_link_without_a_config_gives_none() -> None:
    assert config_from_params({}) is None
    assert config_from_params({"page": "playground", "embed": "true"}) is None


@pytest.mark.parametrize(("params", "message"), [
    ({"training.speed": "3"}, "the link has an unknown setting 'training.speed'"),
    ({"training.epochs": "ten"},
     "training.epochs in the link must be a whole number, not 'ten'"),
    ({"training.lr": "fast"}, "training.lr in the link must be a number, not 'fast'"),
    ({"dataset.subset": "1.5"},
     "dataset.subset in the link must be a whole number, not '1.5'"),
    ({"dataset.augment": "[1, 2]"}, "dataset.augment in the link must be an object"),
    ({"dataset.columns": "[1, "}, "dataset.columns in the link is not valid JSON"),
    ({"network.layers": "8:tanh,oops"},
     "layer 2: 'oops' in the link is not units:activation"),
    ({"training.optimizer": "lbfgs"}, None),  # share passes it on; the config refuses it
])
def test_a_tampered_link_is_a_plain_config_error(params: dict, message: str | None
                                                 ) -> None:
    with pytest.raises(ConfigError) as caught:
        config_from_params(params)
    if message is not None:
        assert str(caught.value) == message


def test_optional_numbers_read_back_as_none_or_a_number() -> None:
    config = config_from_params({"training.early_stopping": "none", "dataset.subset": "",
                                 "dataset.crop": "none"})
    assert config.training.early_stopping is None
    assert config.dataset.subset is None and config.dataset.crop is None
    assert config_from_params({"training.early_stopping": "12"}).training.early_stopping == 12
