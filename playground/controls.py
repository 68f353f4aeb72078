"""Play / pause / step / reset, and keeping the session's job in step with the config."""

from __future__ import annotations

import streamlit as st

from core.config import RunConfig
from core.data.download import DatasetUnavailable
from core.device import describe_device
from core.errors import ConfigError
from playground.jobs import BUSY, new_job, queue_note, session_jobs
from playground.live.component import DREW_BUSY

WAITING = ("queued", "starting")


def sync_job(name: str, config: RunConfig | None, load=None,
             warm_start=None) -> tuple[object | None, str | None]:
    """Make the session's job match `config`: new weights when the network or data changed
    (saying so), new hyperparameters otherwise. `load(config)` supplies the dataset (image
    pages show download progress); `warm_start()` the pretrained weights a new job of a
    fine-tuning run begins from. Returns (job, error message)."""
    jobs = session_jobs()
    job = jobs.get(name)
    if config is None:
        return job, None
    with jobs.lock:
        if job is None or job.config.architecture_key() != config.architecture_key():
            try:
                fresh = new_job(config, load(config) if load is not None else None,
                                warm_start=warm_start() if warm_start is not None else None)
            except ConfigError as exc:
                return job, str(exc)
            except DatasetUnavailable as exc:
                return job, str(exc)
            if job is not None:
                st.toast("The network or data changed, so the weights were reset.",
                         icon=":material/restart_alt:")
            jobs.replace(name, fresh)
            return fresh, None
        if job.config.training != config.training and not job.done:
            try:
                job.update_training(config.training)
            except ConfigError as exc:
                return job, str(exc)
    return job, None


def control_bar(name: str, config: RunConfig | None, reset=None) -> None:
    """Train / Pause, Step and Reset for the session's job `name`; `reset()` replaces the
    default fresh-weights reset (a fine-tuning job starts again from the pretrained ones)."""
    jobs = session_jobs()
    _carry_out_request(name, config)
    job = jobs.get(name)
    state = job.state if job is not None else None  # one reading: a worker moves it any time
    running = state in BUSY
    # the live view mounted below asks for a rerun once the run settles, if Pause was drawn
    st.session_state[DREW_BUSY] = st.session_state.get(DREW_BUSY, False) or running
    cols = st.columns([1.1, 1, 1, 3.5])
    with cols[0]:
        if running:
            st.button("Pause", icon=":material/pause:", key=f"{name}_pause", type="primary",
                      on_click=_pause, args=(name,), width="stretch")
        else:
            st.button("Train", icon=":material/play_arrow:", key=f"{name}_play", type="primary",
                      disabled=config is None or job is None or state == "diverged",
                      on_click=_request, args=(name, "play"), width="stretch",
                      help="Start or continue training (it continues past the epoch limit "
                           "when pressed again after the run ended).")
    with cols[1]:
        st.button("Step", icon=":material/skip_next:", key=f"{name}_step",
                  disabled=config is None or job is None or running or state == "diverged",
                  on_click=_request, args=(name, "step"), width="stretch",
                  help="Train exactly one more epoch, then pause.")
    with cols[2]:
        st.button("Reset", icon=":material/restart_alt:", key=f"{name}_reset",
                  disabled=config is None,
                  on_click=reset if reset is not None else lambda: _reset(name, config),
                  width="stretch", help="Fresh weights (same seed), epoch 0.")
    with cols[3]:
        if job is not None:
            st.caption(f"**{state.replace('_', ' ')}** · {job.built.total_params:,} "
                       f"parameters · {describe(job)}")
    if job is not None and state in WAITING:
        st.fragment(run_every=0.5)(_waiting)(job)


def _request_key(name: str) -> str:
    return f"_{name}_requested"


def _request(name: str, action: str) -> None:
    """Train and Step only note the press; the run it starts carries it out (below) with the
    config that run builds. A callback would act on the config of the run that drew the button:
    pressed while a preset was still loading, it resumed the old network, which the new run
    then replaced with fresh, idle weights (the press was lost)."""
    st.session_state[_request_key(name)] = action


def _carry_out_request(name: str, config: RunConfig | None) -> None:
    action = st.session_state.pop(_request_key(name), None)
    if action is None or config is None:
        return
    jobs = session_jobs()
    job = jobs.get(name)
    if job is None or job.state == "diverged":
        return
    if action == "play":
        jobs.play(name, config)
    elif action == "step" and job.state not in BUSY:
        jobs.step(name, config)


def _pause(name: str) -> None:
    """Pause whatever job the tab has now (not one captured when the button was drawn)."""
    job = session_jobs().get(name)
    if job is not None:
        job.pause()


def _waiting(job) -> None:
    """While the job waits for a worker: say where it stands, and redraw the whole page as
    soon as it trains (or ends), so the live view starts polling."""
    if job.state not in WAITING:
        st.rerun()
    note = queue_note(job)
    if note:
        st.info(note, icon=":material/hourglass_top:")
    else:
        st.caption("Starting a training worker…")


def describe(job) -> str:
    return describe_device(job.device)


def _reset(name: str, config: RunConfig | None) -> None:
    if config is None:
        return
    try:
        session_jobs().replace(name, new_job(config))
    except ConfigError as exc:
        st.session_state["_reset_error"] = str(exc)


def outcome_message(job) -> None:
    """Say how the run ended, in the words the engine used."""
    if job is None or job.outcome is None:
        return
    kind, message = job.outcome["outcome"], job.outcome["message"]
    if kind == "diverged":
        st.error(message + " Lower the learning rate, then press Reset.",
                 icon=":material/warning:")
    elif kind == "error":
        st.error(message, icon=":material/error:")
    elif kind == "early_stopped":
        st.success(message, icon=":material/check_circle:")
    elif kind == "finished":
        st.info(message[0].upper() + message[1:] + ". Press Train to keep going.",
                icon=":material/flag:")
