"""Your own table (dataset name "csv"): every bad CSV gets its own plain message naming the
line and column; a good one becomes a Dataset whose plane and inputs agree; built-in tables
are generated the same on every machine; the choice round-trips through a link."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch

from core.config import RunConfig
from core.data import load_dataset
from core.data.builtin_tables import BUILTIN_TABLES, builtin_csv
from core.data.tables import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    TableRefused,
    browser_may_read,
    read_table_bytes,
    save_upload,
)
from core.errors import ConfigError
from core.share import config_from_params, config_to_params

GOOD = b"u_g,g_r,r_i,kind\n1.2,0.5,0.2,star\n0.2,0.1,0.1,qso\n1.6,0.8,0.4,galaxy\n" * 4


def dataset_config(path: str, **fields) -> RunConfig:
    return RunConfig.from_dict({"dataset": {"name": "csv", "path": path, **fields},
                                "training": {"loss": "cce"}})


def write(tmp_path: Path, data: bytes, name: str = "t.csv") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize(("data", "message"), [
    (b"", "the file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV file: it holds binary data"),
    (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "not a CSV file: it holds binary data"),
    (b"a,b\n1,2\n\xff\xfe,3\n", "line 3 is not UTF-8 text"),
    (b"x\n1\n2\n", "the file has one column"),
    (b"1,2,3\n4,5,6\n", "the first line must name the columns"),
    (b"a,b,c\n", "a header but no rows"),
    (b"a,b,a\n1,2,3\n", "two columns are called 'a'"),
    (b"a,,c\n1,2,3\n", "column 2 has no name"),
    (b"a,b,c\n1,2,3\n4,5\n", "line 3 has 2 fields, but the header has 3"),
])
def test_unreadable_files_are_refused_by_line(data: bytes, message: str) -> None:
    with pytest.raises(TableRefused, match=message):
        read_table_bytes(data)


@pytest.mark.parametrize(("data", "fields", "message"), [
    (b"a,b,label\n1,2,x\n1,nan,y\n3,4,x\n5,6,y\n", {},
     r"line 3, column 'b': the value is missing \('nan'\)"),
    (b"a,b,label\n1,2,x\n3,4,y\n1,abc,x\n5,6,y\n", {"columns": ["a", "b"]},
     r"line 4, column 'b': 'abc' is not a number"),
    (b"a,b,label\n1,2,x\n3,inf,y\n1,2,x\n5,6,y\n", {"columns": ["a", "b"]},
     r"line 3, column 'b': 'inf' is not a finite number"),
    (b"a,b,label\n1,2,x\n3,4,x\n5,6,x\n", {}, r"column 'label' has one class \('x'\)"),
    (b"a,b,label\n1,2,x\n3,4,\n5,6,y\n7,8,x\n", {}, r"line 3, column 'label': the label is"),
    (b"name,label\nm31,x\nm33,y\n", {}, "no column other than the target holds numbers"),
    (b"a,b,label\n1,2,x\n3,4,y\n", {"target": "zzz"}, "the file has no column 'zzz'"),
    (b"a,b,label\n1,2,x\n3,4,y\n", {"columns": ["a", "label"]}, "'label' is the target"),
    (b"a,b,z\n" + b"".join(b"%d,%d,%d.5\n" % (i, i, i) for i in range(30)),
     {"task": "classification"}, "column 'z' has 30 different values"),
    (b"a,b,label\n1,2,x\n3,4,y\n", {}, "the file has 2 rows; at least 4"),
])
def test_unusable_columns_are_refused_naming_line_and_column(tmp_path, data, fields,
                                                             message) -> None:
    config = dataset_config(write(tmp_path, data), **fields)
    with pytest.raises(TableRefused, match=message):
        load_dataset(config.dataset)


def test_limits_stop_huge_files_before_reading_them(tmp_path) -> None:
    big = tmp_path / "huge.csv"  # 2 GB on disk without writing 2 GB: a sparse file
    with open(big, "wb") as f:
        f.write(b"a,b,c\n")
        f.seek(2_000_000_000)
        f.write(b"\n")
    with pytest.raises(TableRefused, match=f"at most {MAX_FILE_BYTES // 1_000_000} MB"):
        load_dataset(dataset_config(str(big)).dataset)
    rows = b"a,b,c\n" + b"1,2,x\n" * (MAX_ROWS + 1)  # 10 million rows stop at row 20,001
    with pytest.raises(TableRefused, match=f"more than {MAX_ROWS:,} rows"):
        read_table_bytes(rows)
    with pytest.raises(TableRefused, match="cannot read the CSV file"):
        load_dataset(dataset_config(str(tmp_path / "missing.csv")).dataset)


def test_semicolons_quotes_and_text_labels(tmp_path) -> None:
    data = ('"colour, g-r";r_i;type\n' + "0.5;0.2;star\n0.1;0.1;quasar\n" * 6).encode()
    config = dataset_config(write(tmp_path, data), normalization="none")
    d = load_dataset(config.dataset)
    assert d.feature_names == ["colour, g-r", "r_i"]
    assert d.class_names == ["quasar", "star"]
    assert d.task == "classification" and d.input_shape == (2,)
    assert len(d.x_train) == 6 and len(d.x_test) == 6  # stratified: 3 of each class per side
    assert sorted(d.y_train.tolist()) == [0, 0, 0, 1, 1, 1]
    # the link keeps a column name with a comma intact
    again = config_from_params(config_to_params(config))
    assert again.dataset.columns == config.dataset.columns == []
    config.dataset.columns = ["colour, g-r", "r_i"]
    assert config_from_params(config_to_params(config)).dataset.columns == ["colour, g-r", "r_i"]


def test_numeric_labels_sort_numerically_and_regression_is_guessed(tmp_path) -> None:
    labels = b"a,b,kind\n" + b"".join(b"%d,%d,%d\n" % (i, i % 7, [10, 2, 1][i % 3])
                                      for i in range(30))
    d = load_dataset(dataset_config(write(tmp_path, labels)).dataset)
    assert d.class_names == ["1", "2", "10"]
    reg = b"a,b,z\n" + b"".join(b"%d,%d,%.3f\n" % (i, i % 5, i / 7) for i in range(40))
    d = load_dataset(dataset_config(write(tmp_path, reg, "r.csv")).dataset)
    assert d.task == "regression" and d.class_names == [] and d.y_train.dtype == torch.float32


def test_scaling_uses_training_rows_and_the_plane_maps_onto_the_inputs(tmp_path) -> None:
    rng = np.random.default_rng(0)
    rows = "\n".join(f"{a:.4f},{b:.4f},{c:.4f},{int(a > 20)}" for a, b, c in
                     zip(rng.normal(20, 2, 200), rng.normal(-5, 0.1, 200),
                         rng.normal(3, 1, 200), strict=True))
    path = write(tmp_path, ("mag,colour,extra,bright\n" + rows + "\n").encode())
    for normalization in ("standardize", "unit", "none"):
        d = load_dataset(dataset_config(path, normalization=normalization).dataset)
        assert d.feature_names == ["mag", "colour", "extra"] and d.raw_dims == 2
        if normalization == "standardize":
            assert torch.allclose(d.x_train.mean(0), torch.zeros(3), atol=1e-5)
            assert torch.allclose(d.x_train.std(0, unbiased=False), torch.ones(3), atol=1e-4)
        if normalization == "unit":
            assert d.x_train.min() == 0 and d.x_train.max() == 1
        # the plane is in standard units whatever the scaling; featurize maps it back exactly
        assert torch.allclose(d.raw_train.mean(0), torch.zeros(2), atol=1e-4)
        back = d.featurize(d.raw_train)
        assert torch.allclose(back[:, :2], d.x_train[:, :2], atol=1e-3 * d.x_train.abs().max())
        assert torch.allclose(back[:, 2], d.x_train[:, 2].mean().expand(len(back)), atol=1e-4)


def test_builtin_tables_are_the_same_everywhere_and_learnable() -> None:
    digests = {name: hashlib.sha256(builtin_csv(name).encode()).hexdigest()[:16]
               for name in BUILTIN_TABLES}  # pinned: a change to a generator must be deliberate
    assert digests == {"sdss_colours": "5f3a2f3e157202e3", "red_blue_galaxies": "2bb17aa02fd5c32b",
                       "photo_z": "31afa30a9883a338"}
    d = load_dataset(dataset_config("builtin:sdss_colours").dataset)
    assert d.class_names == ["galaxy", "quasar", "star"]
    assert d.feature_names == ["u_g", "g_r", "r_i", "i_z", "r_mag"]
    assert len(d.x_train) + len(d.x_test) == 1500
    photo_z = load_dataset(RunConfig.from_dict({
        "dataset": {"name": "csv", "path": "builtin:photo_z"},
        "training": {"loss": "mse"}}).dataset)
    assert photo_z.task == "regression" and float(photo_z.y_train.max()) <= 0.45
    with pytest.raises(ConfigError, match="no built-in table 'builtin:nope'"):
        load_dataset(dataset_config("builtin:nope").dataset)


def test_config_fields_are_checked(tmp_path) -> None:
    with pytest.raises(ConfigError, match="dataset.path: name the CSV file"):
        RunConfig.from_dict({"dataset": {"name": "csv"}})
    with pytest.raises(ConfigError, match="classification or regression"):
        RunConfig.from_dict({"dataset": {"name": "csv", "path": "x.csv", "task": "digits"}})
    with pytest.raises(ConfigError, match="each column may be chosen once"):
        RunConfig.from_dict({"dataset": {"name": "csv", "path": "x.csv",
                                         "columns": ["a", "a"]}})


def test_uploads_are_kept_by_content_and_links_cannot_read_other_files(tmp_path,
                                                                       monkeypatch) -> None:
    monkeypatch.setenv("PLAYGROUND_CACHE_DIR", str(tmp_path / "cache"))
    saved = save_upload("my catalogue (v2).csv", GOOD)
    assert saved.name == "my_catalogue_v2_.csv" and saved.read_bytes() == GOOD
    assert save_upload("again.csv", GOOD).parent == saved.parent
    assert browser_may_read(str(saved)) and browser_may_read("builtin:photo_z")
    outside = write(tmp_path, GOOD)
    for path in (outside, "/etc/passwd", str(saved.parent / ".." / ".." / ".." / "t.csv"),
                 "builtin:nope", ""):
        assert not browser_may_read(path), path
    with pytest.raises(TableRefused, match="the file is empty"):
        save_upload("empty.csv", b"")


def test_headless_run_on_a_csv_names_the_file(tmp_path, capsys) -> None:
    import json

    from core import cli
    from core.models.model_io import read_metadata

    rows = "".join(f"{i % 10},{i % 7},{'a' if i % 10 < 5 else 'b'}\n" for i in range(60))
    data = write(tmp_path, ("x,y,label\n" + rows).encode(), "points.csv")
    config = tmp_path / "run.json"
    config.write_text(json.dumps({
        "dataset": {"name": "csv", "path": data, "normalization": "standardize"},
        "network": {"layers": [{"type": "dense", "units": 4, "activation": "tanh"}]},
        "training": {"loss": "bce", "optimizer": "adam", "lr": 0.05, "epochs": 30,
                     "device": "cpu"}}))
    out = tmp_path / "points.safetensors"
    assert cli.main(["train", str(config), "--out", str(out)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["train_samples"] == 30 and lines[0]["test_samples"] == 30
    assert lines[-2]["test_accuracy"] > 0.9
    meta = read_metadata(out)
    assert meta["config"].dataset.path == data and meta["class_names"] == ["a", "b"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"dataset": {"name": "csv", "path": str(tmp_path / "nope.csv")}}))
    assert cli.main(["train", str(bad)]) == 2
    assert "cannot read the CSV file" in capsys.readouterr().err
