"""The live view's server side without a browser: frame encoding (exact bytes), feeds (a frame
built once per training state, curve points sent once), and the route's answers."""

from __future__ import annotations

import base64
import json
import time

import numpy as np
import pytest
from starlette.requests import Request

from core.config import RunConfig
from playground.live import channel, feeds, frames
from playground.presets import DEFAULT_PRESET, PRESETS


def _job(preset: str = "spiral-depth"):
    from core.train import Job

    return Job(PRESETS[preset].config())


def _request(token: str, query: str = "") -> Request:
    return Request({"type": "http", "method": "GET", "path": f"/_nnp/live/{token}",
                    "path_params": {"token": token}, "query_string": query.encode(),
                    "headers": []})


# ----------------------------------------------------------------------------- encoding
def test_signed_bytes_map_orange_white_blue_exactly() -> None:
    got = frames.signed_bytes(np.array([-1.0, 0.0, 1.0, 0.5, np.nan, 2.0, -7.0]))
    assert got.tolist() == [0, 128, 255, 191, 128, 255, 0]
    assert frames.signed_bytes(np.array([3.0]), scale=6.0).tolist() == [191]
    assert frames.signed_bytes(np.array([3.0]), scale=0.0).tolist() == [255]  # no /0


def test_unit_bytes_and_base64_round_trip() -> None:
    got = frames.unit_bytes(np.array([0.0, 0.5, 1.0, np.nan, 1.5]))
    assert got.tolist() == [0, 128, 255, 0, 255]
    assert base64.b64decode(frames.b64_bytes(got)) == bytes([0, 128, 255, 0, 255])


def test_curve_rows_are_new_points_only_with_gaps_for_non_finite_values() -> None:
    history = [{"epoch": 1, "train_loss": 0.5, "test_loss": 0.6},
               {"epoch": 2, "train_loss": float("nan"), "test_loss": 1e30},
               {"epoch": 3, "train_loss": float("inf")}]
    rows = frames.curve_rows(history, ("train_loss", "test_loss"), start=1)
    assert rows == [[2.0, None, 1e30], [3.0, None, None]]
    json.dumps(rows, allow_nan=False)


def test_playground_frame_caps_wide_layers_and_scales_relu_neurons() -> None:
    sizes = [2, 20, 1]
    weights = [np.arange(40, dtype=np.float32).reshape(20, 2) / 40, np.ones((1, 20), np.float32)]
    biases = [np.zeros(20, np.float32), np.zeros(1, np.float32)]
    neurons = [np.full((20, 4, 4), 3.0, np.float32)]  # ReLU-like: beyond 1
    output = np.full((4, 4), 0.75, np.float32)
    frame = frames.playground_frame(task="binary", output=output, neurons=neurons,
                                    weights=weights, biases=biases, sizes=sizes)
    assert [len(w) for w in frame["weights"]] == [12, 1]  # 12 of 20 shown
    assert len(frame["weights"][1][0]) == 12
    assert frame["weights"][0][1] == [0.05, 0.075]
    assert len(frame["nodes"][0]) == 12 and len(frame["nodes"][1]) == 1
    thumb = base64.b64decode(frame["nodes"][0][0])
    assert len(thumb) == 16 and set(thumb) == {255}  # 3 scaled by its max 3 → +1 → blue
    out = base64.b64decode(frame["nodes"][1][0])
    assert set(out) == {191}  # 2·0.75 − 1 = 0.5
    assert set(base64.b64decode(frame["boundary"]["val"])) == {191}


def test_multiclass_boundary_is_winner_and_confidence() -> None:
    output = np.zeros((2, 2, 3), np.float32)
    output[..., 2] = 0.8
    output[..., 0] = 0.2
    grid = frames.boundary_grid("multiclass", output, 1.0)
    assert base64.b64decode(grid["cls"]) == bytes([2, 2, 2, 2])
    assert base64.b64decode(grid["conf"]) == bytes([204] * 4)


# ----------------------------------------------------------------------------- feeds
def test_spiral_depth_frame_fits_the_byte_budget() -> None:
    """Issue budget: ≤ 30 KB a frame for spiral-depth (3×12 tanh), whole reply as sent."""
    job = _job()
    feed = feeds.PlaygroundFeed(job)
    reply = feed.poll(None, [])
    body = json.dumps(reply, separators=(",", ":"), allow_nan=False)
    assert len(body) <= 30_000, len(body)
    scene = feed.scene
    assert scene["sizes"] == [2, 12, 12, 12, 1] and scene["titles"][1] == "12 · tanh"
    assert len(scene["train"]["x"]) == len(job.dataset.y_train)


def test_feed_builds_once_per_training_state_and_sends_rows_once() -> None:
    job = _job(DEFAULT_PRESET)
    feed = feeds.PlaygroundFeed(job)
    first = feed.poll(None, [])
    assert first["rows"] == [[]] and feed.builds == 1
    assert feed.poll(first["v"], [0]) is None  # nothing new: the route answers 204
    job.step(2)
    deadline = time.monotonic() + 30
    while not (job.epoch == 2 and job.state == "paused"):
        assert time.monotonic() < deadline, (job.epoch, job.state)
        time.sleep(0.02)
    reply = feed.poll(first["v"], [0])
    assert reply is not None and feed.builds == 2
    assert [row[0] for row in reply["rows"][0]] == [1.0, 2.0]
    again = feed.poll(first["v"], [2])  # a second tab of the same state: rows not resent
    assert again["rows"] == [[]] and again["from"] == [2] and feed.builds == 2
    assert feed.poll(again["v"], [2]) is None
    job.stop(wait=True)


def test_route_answers_200_then_204_and_404_for_an_unknown_token() -> None:
    job = _job()
    feed = feeds.PlaygroundFeed(job)
    token = feeds.register(feed)
    try:
        first = channel.live_frame(_request(token))
        assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
        reply = json.loads(first.body)
        assert reply["frame"]["counters"]["epoch"] == 0
        same = channel.live_frame(_request(token, f"v={reply['v']}&n=0"))
        assert same.status_code == 204
        assert channel.live_frame(_request("nope")).status_code == 404
        assert channel.live_frame(_request(token, "v=x&n=abc")).status_code == 200
    finally:
        feeds.unregister(token)
    assert feeds.lookup(token) is None


def test_polling_is_the_heartbeat_of_the_job() -> None:
    from core.train import Job

    job = Job(PRESETS[DEFAULT_PRESET].config(), owner_timeout_s=30)
    feed = feeds.PlaygroundFeed(job)
    job._last_touch -= 100
    assert job._owner_gone()
    feed.poll(None, [])
    assert not job._owner_gone()


@pytest.mark.parametrize("dataset", ["xor", "gauss"])
def test_diverged_or_multiclass_jobs_give_json_safe_frames(dataset: str) -> None:
    from core.train import Job

    config = RunConfig.from_dict({"dataset": {"name": dataset, "samples": 100,
                                              **({"classes": 4} if dataset == "gauss" else {})},
                                  "training": {"epochs": 3, "lr": 100, "optimizer": "sgd",
                                               "loss": "cce" if dataset == "gauss" else "bce"}})
    job = Job(config)
    job.start()
    job.join(30)
    reply = feeds.PlaygroundFeed(job).poll(None, [])
    json.dumps(reply, allow_nan=False)
    assert reply["frame"]["counters"]["state"] in ("finished", "diverged")


def test_a_feed_lives_only_as_long_as_its_page_holds_it() -> None:
    """A closed tab's session goes, and with it the feed, its job and its data."""
    import gc

    token = feeds.register(feeds.PlaygroundFeed(_job(DEFAULT_PRESET)))
    gc.collect()
    assert feeds.lookup(token) is None
    assert channel.live_frame(_request(token)).status_code == 404
