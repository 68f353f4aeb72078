"""Your own table in the Playground: a CSV file (or a built-in astronomy table) as a Dataset.

The reading functions below (`parse_csv` … `split_and_scale`) use only the standard library and
NumPy, raise `TableRefused` with a plain sentence that names the line and the column, and are
copied verbatim into the standalone training script (core.export.script), so the exported
script reads a CSV exactly as the page did.

Limits (README "Your own data"): files up to MAX_FILE_BYTES, MAX_ROWS data rows (every point
is drawn live, the same cap as the generated data), MAX_COLUMNS columns, MAX_CLASSES classes.
"""

from __future__ import annotations

import csv
import functools
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core.data.base import Dataset
from core.data.builtin_tables import BUILTIN_PREFIX, BUILTIN_TABLES, builtin_csv
from core.data.download import cache_dir
from core.errors import ConfigError
from core.safe_files import keep_by_content

MAX_FILE_BYTES = 20_000_000
MAX_ROWS = 20_000
MAX_COLUMNS = 200
MAX_CLASSES = 20
MISSING = ("", "na", "nan", "null", "none", "n/a", "-", "?")
NORMALIZATIONS = {"standardize": "standardise (mean 0, std 1, from the training rows)",
                  "unit": "scale to 0–1 (min–max of the training rows)",
                  "none": "as in the file"}
TASKS = ("classification", "regression")


class TableRefused(ConfigError):
    """The table cannot be used as asked; the message names the line and column."""


# ----- reading (copied into the exported script: standard library + NumPy only) ---------------
def decode_csv(data: bytes) -> str:
    """Bytes -> text, refusing what is plainly not a CSV file."""
    if len(data) > MAX_FILE_BYTES:
        raise TableRefused(f"the file is {len(data) / 1e6:,.1f} MB; at most "
                           f"{MAX_FILE_BYTES / 1e6:,.0f} MB are accepted")
    if not data.strip():
        raise TableRefused("the file is empty")
    if b"\x00" in data[:65536]:
        raise TableRefused("this is not a CSV file: it holds binary data (a spreadsheet or "
                           "zip? save it as CSV first)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise TableRefused(f"line {line:,} is not UTF-8 text; save the file as CSV (UTF-8)"
                           ) from None


def parse_csv(text: str) -> tuple[list[str], list[list[str]], list[int]]:
    """Header, rows and each row's line in the file, from CSV text (comma, semicolon or tab
    separated, guessed from the first line); every row must have as many fields as the
    header."""
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[list[str]] = []
    lines: list[int] = []
    header: list[str] | None = None
    start = 1
    try:
        for fields in reader:
            line, start = start, reader.line_num + 1
            if not fields or all(not f.strip() for f in fields):
                continue
            if header is None:
                header = [f.strip() for f in fields]
                continue
            if len(rows) >= MAX_ROWS:
                raise TableRefused(f"the file has more than {MAX_ROWS:,} rows; the playground "
                                   f"takes at most {MAX_ROWS:,} (every point is drawn live): "
                                   "keep a random sample")
            if len(fields) != len(header):
                raise TableRefused(f"line {reader.line_num:,} has {len(fields)} fields, but the "
                                   f"header has {len(header)}")
            rows.append(fields)
            lines.append(line)
    except csv.Error as exc:
        raise TableRefused(f"line {reader.line_num:,} is not valid CSV ({exc})") from None
    if header is None:
        raise TableRefused("the file is empty")
    if len(header) > MAX_COLUMNS:
        raise TableRefused(f"the file has {len(header):,} columns; at most {MAX_COLUMNS} are "
                           "accepted")
    if len(header) < 2:
        raise TableRefused("the file has one column; it needs at least one input column and "
                           "a label or target column (is it separated by commas?)")
    for j, name in enumerate(header):
        if not name:
            raise TableRefused(f"column {j + 1} has no name in the header (first line)")
        if name in header[:j]:
            raise TableRefused(f"two columns are called '{name}'")
    if all(_is_number(name) for name in header):
        raise TableRefused("the first line must name the columns (it holds only numbers)")
    if not rows:
        raise TableRefused("the file has a header but no rows of data")
    return header, rows, lines


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _missing(text: str) -> bool:
    return text.strip().lower() in MISSING


def numeric_column(header: list[str], rows: list[list[str]], name: str,
                   lines: list[int]) -> np.ndarray:
    """The column as float64; missing values, text and infinities refused by line."""
    j = header.index(name)
    values = np.empty(len(rows))
    for i, row in enumerate(rows):
        cell = row[j].strip()
        if _missing(cell):
            raise TableRefused(f"line {lines[i]:,}, column '{name}': the value is missing "
                               f"('{cell}'); fill it in or remove the row")
        try:
            value = float(cell)
        except ValueError:
            raise TableRefused(f"line {lines[i]:,}, column '{name}': '{cell[:40]}' is not a "
                               "number") from None
        if not math.isfinite(value):
            raise TableRefused(f"line {lines[i]:,}, column '{name}': '{cell}' is not a finite "
                               "number")
        values[i] = value
    return values


def label_column(header: list[str], rows: list[list[str]], name: str,
                 lines: list[int]) -> tuple[np.ndarray, list[str]]:
    """Class indices and class names (numeric labels in numeric order, text alphabetically)."""
    j = header.index(name)
    cells = []
    for i, row in enumerate(rows):
        cell = row[j].strip()
        if _missing(cell):
            raise TableRefused(f"line {lines[i]:,}, column '{name}': the label is missing "
                               f"('{cell}')")
        cells.append(cell)
    names = sorted(set(cells))
    if all(_is_number(c) for c in names):
        by_value: dict[float, str] = {}
        for c in names:
            by_value.setdefault(float(c), c)
        lookup = {c: sorted(by_value).index(float(c)) for c in names}
        names = [f"{v:g}" for v in sorted(by_value)]
    else:
        lookup = {c: i for i, c in enumerate(names)}
    if len(names) < 2:
        raise TableRefused(f"column '{name}' has one class ('{names[0]}') in every row; a "
                           "classifier needs at least two")
    if len(names) > MAX_CLASSES:
        raise TableRefused(f"column '{name}' has {len(names):,} different values; at most "
                           f"{MAX_CLASSES} classes are accepted (for a numeric target choose "
                           "regression)")
    return np.array([lookup[c] for c in cells], dtype=np.int64), names


def guess_task(header: list[str], rows: list[list[str]], target: str) -> str:
    """Classification for text labels or a few whole numbers; regression otherwise."""
    j = header.index(target)
    values = {r[j].strip() for r in rows if not _missing(r[j])}
    if not all(_is_number(v) for v in values):
        return "classification"
    whole = all(float(v).is_integer() for v in values)
    return "classification" if whole and len(values) <= MAX_CLASSES else "regression"


def split_and_scale(x: np.ndarray, y: np.ndarray, classification: bool, train_fraction: float,
                    seed: int, normalization: str):
    """Shuffle with the seed, split (stratified for classes), scale inputs with statistics of
    the training rows only. Returns (x_train, y_train, x_test, y_test, shift, scale)."""
    rng = np.random.default_rng(seed)
    n = len(x)
    if classification:
        train = []
        for c in np.unique(y):
            idx = np.flatnonzero(y == c)
            rng.shuffle(idx)
            train.extend(idx[:max(1, min(len(idx) - 1, round(len(idx) * train_fraction)))])
        train = np.array(sorted(train))
    else:
        train = np.sort(rng.permutation(n)[:max(1, min(n - 1, round(n * train_fraction)))])
    test = np.setdiff1d(np.arange(n), train)
    train, test = rng.permutation(train), rng.permutation(test)
    if normalization == "standardize":
        shift = x[train].mean(axis=0)
        scale = x[train].std(axis=0)
    elif normalization == "unit":
        shift = x[train].min(axis=0)
        scale = x[train].max(axis=0) - shift
    else:
        shift, scale = np.zeros(x.shape[1]), np.ones(x.shape[1])
    scale = np.where(scale > 0, scale, 1.0)
    x = (x - shift) / scale
    return x[train], y[train], x[test], y[test], shift, scale


# ----- the Dataset ----------------------------------------------------------------------------
@dataclass(eq=False)
class Table:
    header: list[str]
    rows: list[list[str]]
    lines: list[int]

    @functools.cache  # noqa: B019 - a Table lives in a small cache; every rerun asks again
    def numeric_names(self) -> list[str]:
        """Columns whose every filled cell is a number."""
        out = []
        for j, name in enumerate(self.header):
            cells = [r[j] for r in self.rows if not _missing(r[j])]
            if cells and all(_is_number(c) for c in cells):
                out.append(name)
        return out


def read_table_bytes(data: bytes) -> Table:
    return Table(*parse_csv(decode_csv(data)))


@functools.lru_cache(maxsize=2)  # a 19 MB table is 192 MB of Python strings (measured)
def _read_cached(path: str, stamp: tuple[float, int]) -> Table:
    del stamp  # part of the cache key only: an edited file is read again
    if path.startswith(BUILTIN_PREFIX):
        return read_table_bytes(builtin_csv(path[len(BUILTIN_PREFIX):]).encode())
    with open(path, "rb") as f:
        data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        size = Path(path).stat().st_size
        raise TableRefused(f"the file is {size / 1e6:,.0f} MB; at most "
                           f"{MAX_FILE_BYTES / 1e6:,.0f} MB are accepted")
    return read_table_bytes(data)


def read_table(path: str) -> Table:
    """The table at `path` (a file, or `builtin:NAME`), cached until the file changes."""
    if path.startswith(BUILTIN_PREFIX):
        if path[len(BUILTIN_PREFIX):] not in BUILTIN_TABLES:
            raise TableRefused(f"dataset.path: there is no built-in table '{path}' (choose from "
                               f"{', '.join(BUILTIN_PREFIX + n for n in BUILTIN_TABLES)})")
        return _read_cached(path, (0.0, 0))
    try:
        stat = Path(path).stat()
    except OSError as exc:
        raise TableRefused(f"cannot read the CSV file {path}: {exc.strerror or exc}") from None
    if stat.st_size > MAX_FILE_BYTES:
        raise TableRefused(f"the file is {stat.st_size / 1e6:,.0f} MB; at most "
                           f"{MAX_FILE_BYTES / 1e6:,.0f} MB are accepted")
    try:
        return _read_cached(str(path), (stat.st_mtime, stat.st_size))
    except OSError as exc:
        raise TableRefused(f"cannot read the CSV file {path}: {exc.strerror or exc}") from None


@dataclass(frozen=True)
class Choice:
    """What a CSV config picks, with the defaults filled in from the table itself."""

    columns: list[str]
    target: str
    task: str


def resolve_choice(config, table: Table) -> Choice:
    """Defaults: the last column is the target; every other numeric column is an input."""
    target = config.target or table.header[-1]
    if target not in table.header:
        raise TableRefused(f"dataset.target: the file has no column '{target}' (it has "
                           f"{', '.join(table.header)})")
    columns = list(config.columns) or [c for c in table.numeric_names() if c != target]
    if not columns:
        raise TableRefused("no column other than the target holds numbers: the network needs "
                           "numeric inputs")
    for name in columns:
        if name not in table.header:
            raise TableRefused(f"dataset.columns: the file has no column '{name}'")
        if name == target:
            raise TableRefused(f"dataset.columns: '{name}' is the target; it cannot also be "
                               "an input")
    task = config.task or guess_task(table.header, table.rows, target)
    return Choice(columns, target, task)


def validate_table_config(config) -> None:
    """The fields only (cheap); the file itself is checked when the dataset is made."""
    if not isinstance(config.path, str) or not config.path.strip():
        raise ConfigError("dataset.path: name the CSV file (or a built-in table such as "
                          f"{BUILTIN_PREFIX}{next(iter(BUILTIN_TABLES))})")
    if not isinstance(config.columns, list) or not all(isinstance(c, str) for c in config.columns):
        raise ConfigError("dataset.columns must be a list of column names")
    if len(set(config.columns)) != len(config.columns):
        raise ConfigError("dataset.columns: each column may be chosen once")
    if config.target is not None and not isinstance(config.target, str):
        raise ConfigError("dataset.target must be a column name")
    if config.task is not None and config.task not in TASKS:
        raise ConfigError(f"dataset.task for a CSV must be classification or regression, not "
                          f"{config.task!r}")
    if config.normalization not in NORMALIZATIONS:
        raise ConfigError(f"dataset.normalization for a CSV must be one of "
                          f"{', '.join(NORMALIZATIONS)}, not {config.normalization!r}")
    for name, value in (("train_fraction", config.train_fraction),):
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                0.05 <= value <= 0.95):
            raise ConfigError(f"dataset.{name} must be between 0.05 and 0.95, not {value!r}")
    if isinstance(config.seed, bool) or not isinstance(config.seed, int) or config.seed < 0:
        raise ConfigError(f"dataset.seed must be a whole number of at least 0, not "
                          f"{config.seed!r}")


def make_table_dataset(config) -> Dataset:
    """The chosen columns as network inputs; the first two (standardised) are the plane the
    Playground draws, the others held at their training mean on that plane."""
    table = read_table(config.path)
    choice = resolve_choice(config, table)
    x = np.stack([numeric_column(table.header, table.rows, c, table.lines)
                  for c in choice.columns], axis=1)
    classification = choice.task == "classification"
    if classification:
        y, class_names = label_column(table.header, table.rows, choice.target, table.lines)
    else:
        y, class_names = numeric_column(table.header, table.rows, choice.target,
                                        table.lines), []
    if len(x) < 4:
        raise TableRefused(f"the file has {len(x)} rows; at least 4 are needed to train and "
                           "test")
    x_train, y_train, x_test, y_test, shift, scale = split_and_scale(
        x, y, classification, config.train_fraction, config.seed, config.normalization)
    # the plotted plane: the first two inputs in standard units (whatever the scaling)
    dims = min(2, len(choice.columns))
    raw_train, raw_test = x_train * scale + shift, x_test * scale + shift
    mean = raw_train[:, :dims].mean(axis=0)
    std = raw_train[:, :dims].std(axis=0)
    std = np.where(std > 0, std, 1.0)
    base = torch.as_tensor(((raw_train.mean(axis=0) - shift) / scale), dtype=torch.float32)
    to_inputs = torch.as_tensor(std / scale[:dims], dtype=torch.float32)
    offset = torch.as_tensor((mean - shift[:dims]) / scale[:dims], dtype=torch.float32)
    featurize = _Plane(base, to_inputs, offset, dims)

    def tensor(a, dtype=torch.float32):
        return torch.as_tensor(np.ascontiguousarray(a), dtype=dtype)

    y_dtype = torch.long if classification else torch.float32
    return Dataset(
        name="csv", task=choice.task,
        x_train=tensor(x_train), y_train=tensor(y_train, y_dtype),
        x_test=tensor(x_test), y_test=tensor(y_test, y_dtype),
        input_shape=(len(choice.columns),), class_names=class_names,
        feature_names=list(choice.columns),
        raw_train=tensor((raw_train[:, :dims] - mean) / std),
        raw_test=tensor((raw_test[:, :dims] - mean) / std),
        featurize=featurize, raw_dims=dims)


@dataclass(frozen=True)
class _Plane:
    """Plane coordinates (standard units of the first two inputs) -> network inputs, the
    other inputs at their training mean. A class, not a lambda, so a Dataset pickles."""

    base: torch.Tensor
    to_inputs: torch.Tensor
    offset: torch.Tensor
    dims: int

    def __call__(self, raw: torch.Tensor) -> torch.Tensor:
        x = self.base.to(raw.device).repeat(len(raw), 1)
        x[:, :self.dims] = raw[:, :self.dims] * self.to_inputs + self.offset
        return x


# ----- uploads (the browser) ------------------------------------------------------------------
def uploads_dir() -> Path:
    return cache_dir() / "uploads"


def save_upload(name: str, data: bytes) -> Path:
    """Keep an uploaded CSV under the cache (named by its content), so a config — and a job in
    another process — can name it by path. Refuses a bad file before writing it."""
    read_table_bytes(data)
    return keep_by_content(data, uploads_dir(), name, ".csv", "table")


def browser_may_read(path: str) -> bool:
    """A link may name a built-in table or a file uploaded here, never any other file on the
    server (a link must not read /etc/passwd into a chart or a message)."""
    if path.startswith(BUILTIN_PREFIX):
        return path[len(BUILTIN_PREFIX):] in BUILTIN_TABLES
    try:
        resolved = Path(path).resolve()
        return resolved.is_relative_to(uploads_dir().resolve()) and resolved.suffix == ".csv"
    except (OSError, ValueError):
        return False
