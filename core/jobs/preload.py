"""Imported once by the fork server that every worker process is forked from: torch, and what a
job's first steps would otherwise load lazily (the first optimizer pulls in torch._dynamo: 3-5 s
on a busy 2-core box). One thread, so no OpenMP team exists when a worker is forked."""

from __future__ import annotations

import torch

from core.config import RunConfig
from core.jobs.host import JobHost  # noqa: F401 - what the workers run
from core.threads import ThreadBudget
from core.train import run_to_end

torch.set_num_threads(1)
for optimizer in ("adam", "sgd"):
    run_to_end(RunConfig.from_dict({
        "dataset": {"name": "xor", "samples": 8},
        "network": {"layers": [{"type": "dense", "units": 2, "activation": "tanh"}]},
        "training": {"epochs": 1, "batch_size": 4, "optimizer": optimizer}}),
        budget=ThreadBudget(cores=1))
