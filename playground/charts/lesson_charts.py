"""Pure Plotly builders for the Lessons pages: numbers in, figure out (no Streamlit), so each
can be tested for what it draws."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from core.lessons.backprop import AddMultiplyGraph
from core.lessons.galleries import Curve, DeadShare, LossView
from core.lessons.perceptron import CORNERS, decision_line
from playground.colors import BLUE, INK, MUTED, ORANGE, WHITE, rgba

FORWARD = "#2e9e44"  # forward values
BACKWARD = "#d62728"  # gradients
_MARGIN = {"l": 50, "r": 20, "t": 40, "b": 44}


def _layout(fig: go.Figure, height: int, title: str | None = None, **kwargs) -> go.Figure:
    fig.update_layout(height=height, margin=_MARGIN, plot_bgcolor=WHITE, paper_bgcolor=WHITE,
                      font={"color": INK}, title=title, **kwargs)
    return fig


# ----- perceptron ------------------------------------------------------------------------------
def perceptron_figure(targets: Sequence[int], lines: Sequence[tuple[tuple[float, float], float,
                                                                     str]],
                      output: np.ndarray | None = None, highlight: int | None = None,
                      height: int = 420) -> go.Figure:
    """The unit square's corners coloured by target (orange 0, blue 1), each line
    w1·x1 + w2·x2 + b = 0 in `lines` (w, b, name), an optional output heatmap over
    [−0.5, 1.5]² (`output`: 2-D, rows along x2) and a ring round the corner being updated."""
    fig = go.Figure()
    if output is not None:
        grid = np.linspace(-0.5, 1.5, output.shape[0])
        fig.add_trace(go.Heatmap(x=grid, y=grid, z=output, zmin=0, zmax=1, showscale=False,
                                 colorscale=[[0, rgba(ORANGE, 0.45)], [0.5, WHITE],
                                             [1, rgba(BLUE, 0.45)]],
                                 hovertemplate="x1 %{x:.2f}, x2 %{y:.2f}: output %{z:.2f}"
                                               "<extra></extra>"))
    dashes = ("solid", "dash", "dot")
    for i, (w, b, name) in enumerate(lines):
        ends = decision_line(w, b)
        if ends is not None:
            fig.add_trace(go.Scatter(x=ends[0], y=ends[1], mode="lines", name=name,
                                     line={"color": INK, "width": 2.5,
                                           "dash": dashes[i % len(dashes)]}))
    xs, ys = zip(*CORNERS, strict=True)
    fig.add_trace(go.Scatter(
        x=xs, y=ys, mode="markers+text", name="corners",
        text=[f"target {t}" for t in targets], textposition="top center",
        marker={"size": 22, "color": [BLUE if t == 1 else ORANGE for t in targets],
                "line": {"color": WHITE, "width": 2}},
        hovertemplate="(%{x}, %{y}): %{text}<extra></extra>", showlegend=False))
    if highlight is not None:
        x = CORNERS[highlight]
        fig.add_trace(go.Scatter(x=[x[0]], y=[x[1]], mode="markers", name="this step",
                                 marker={"size": 38, "color": "rgba(0,0,0,0)",
                                         "line": {"color": BACKWARD, "width": 3}}))
    axis = {"range": [-0.5, 1.5], "zeroline": False, "showgrid": False, "constrain": "domain"}
    return _layout(fig, height, xaxis={**axis, "title": "x1"},
                   yaxis={**axis, "title": "x2", "scaleanchor": "x"},
                   legend={"orientation": "h", "y": 1.08})


def mistakes_figure(mistakes: Sequence[int], height: int = 220) -> go.Figure:
    fig = go.Figure(go.Bar(x=list(range(1, len(mistakes) + 1)), y=list(mistakes),
                           marker_color=[BACKWARD if m else FORWARD for m in mistakes],
                           hovertemplate="epoch %{x}: %{y} wrong<extra></extra>"))
    return _layout(fig, height, xaxis={"title": "epoch", "dtick": 1 if len(mistakes) < 25
                                       else None},
                   yaxis={"title": "corners wrong", "range": [0, 4.2], "dtick": 1})


# ----- backpropagation graph -------------------------------------------------------------------
_NODES = {"x": (0.0, 3.0), "y": (0.0, 1.5), "z": (0.0, 0.0), "q": (1.0, 2.25), "f": (2.0, 1.1)}
_OPS = ("q", "f")
_EDGES = (("x", "q"), ("y", "q"), ("q", "f"), ("z", "f"))
_LABELS = {"x": "x", "y": "y", "z": "z", "q": "q = x + y", "f": "f = q · z"}


def graph_figure(graph: AddMultiplyGraph, revealed: int, height: int = 520) -> go.Figure:
    """f = (x + y)·z as a circuit: forward values in green above each node, and the gradient
    ∂f/∂node in red below it once backward step `revealed` (0 = none yet) has reached it."""
    forward = {"x": graph.x, "y": graph.y, "z": graph.z, "q": graph.q, "f": graph.f}
    grads = {s.node: s.gradient for s in graph.backward_steps()[:revealed]}
    fig = go.Figure()
    for a, b in _EDGES:
        (x0, y0), (x1, y1) = _NODES[a], _NODES[b]
        fig.add_annotation(x=x1 - 0.22, y=y1 + (y0 - y1) * 0.22, ax=x0 + 0.1, ay=y0,
                           xref="x", yref="y", axref="x", ayref="y", showarrow=True,
                           arrowhead=2, arrowwidth=2, arrowcolor=MUTED, text="")
    for name, (x, y) in _NODES.items():
        fig.add_trace(go.Scatter(x=[x], y=[y], mode="markers+text", text=[_LABELS[name]],
                                 textposition="middle center", showlegend=False,
                                 textfont={"size": 15},
                                 marker={"size": 84 if name in _OPS else 46,
                                         "color": "#f4f4f4", "line": {"color": INK,
                                                                      "width": 2}},
                                 hoverinfo="skip"))
        offset = 0.68 if name in _OPS else 0.45
        fig.add_annotation(x=x, y=y + offset, text=f"<b>{name} = {forward[name]:.4g}</b>",
                           showarrow=False, font={"color": FORWARD, "size": 16})
        if name in grads:
            fig.add_annotation(x=x, y=y - offset, text=f"<b>∂f/∂{name} = {grads[name]:.4g}</b>",
                               showarrow=False, font={"color": BACKWARD, "size": 15})
    hidden = {"visible": False, "range": [-0.45, 2.45]}
    return _layout(fig, height, xaxis=hidden, yaxis={**hidden, "range": [-0.75, 3.75]})


# ----- activation and loss galleries -----------------------------------------------------------
def activation_figure(curve: Curve, tails: Sequence[tuple[float, float]], title: str,
                      height: int = 300) -> go.Figure:
    """f (blue) and f′ (red, dashed), saturated tails shaded grey."""
    fig = go.Figure()
    for lo, hi in tails:
        fig.add_vrect(x0=lo, x1=hi, fillcolor="#bbbbbb", opacity=0.25, line_width=0)
    fig.add_trace(go.Scatter(x=curve.x, y=curve.y, name="f(x)", mode="lines",
                             line={"color": BLUE, "width": 3}))
    fig.add_trace(go.Scatter(x=curve.x, y=curve.dy, name="f′(x)", mode="lines",
                             line={"color": BACKWARD, "width": 2, "dash": "dash"}))
    return _layout(fig, height, title=title, xaxis={"title": "x", "zerolinecolor": "#ddd"},
                   yaxis={"zerolinecolor": "#ddd", "range": [-1.6, 3.2]},
                   legend={"orientation": "h", "y": -0.25})


def loss_figure(curve: Curve, view: LossView, label: float, at: float | None = None,
                height: int = 340) -> go.Figure:
    """The loss of one example over its prediction (blue) and dL/d(prediction) (red)."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=curve.x, y=curve.y, name="loss", mode="lines",
                             line={"color": BLUE, "width": 3}))
    fig.add_trace(go.Scatter(x=curve.x, y=curve.dy, name="gradient", mode="lines",
                             yaxis="y2", line={"color": BACKWARD, "width": 2, "dash": "dash"}))
    if at is not None:
        i = int(np.argmin(np.abs(curve.x - at)))
        fig.add_trace(go.Scatter(x=[curve.x[i]], y=[curve.y[i]], mode="markers",
                                 name="your prediction", marker={"size": 12, "color": INK}))
    label_text = f"label {label:g}"
    return _layout(fig, height, title=f"{view.label}, {label_text}",
                   xaxis={"title": view.x_label},
                   yaxis={"title": "loss", "rangemode": "tozero"},
                   yaxis2={"title": "gradient", "overlaying": "y", "side": "right",
                           "showgrid": False, "zerolinecolor": rgba(BACKWARD, 0.3)},
                   legend={"orientation": "h", "y": 1.12})


def dead_relu_figure(shares: Sequence[DeadShare], height: int = 260) -> go.Figure:
    fig = go.Figure(go.Bar(
        x=[s.layer for s in shares], y=[100 * s.share for s in shares],
        text=[f"{s.dead} of {s.units}" for s in shares], textposition="outside",
        marker_color=BACKWARD, hovertemplate="%{x}: %{y:.0f}% dead<extra></extra>"))
    return _layout(fig, height, yaxis={"title": "dead units (%)", "range": [0, 110]})


# ----- convolution -----------------------------------------------------------------------------
def image_figure(pixels: np.ndarray, title: str, box: tuple[int, int, int] | None = None,
                 offset: int = 0, height: int = 360, diverging: bool = False) -> go.Figure:
    """A grey picture (or a feature map: `diverging` centres white on 0) with an optional red
    square `box` = (top, left, size) in padded coordinates; `offset` is the padding."""
    z = np.asarray(pixels, dtype=np.float64)
    if diverging:
        m = float(np.abs(z).max()) or 1.0
        heat = go.Heatmap(z=z, zmin=-m, zmax=m, showscale=True,
                          colorscale=[[0, ORANGE], [0.5, WHITE], [1, BLUE]],
                          hovertemplate="row %{y}, col %{x}: %{z:.3f}<extra></extra>")
    else:
        heat = go.Heatmap(z=z, colorscale="Greys", reversescale=True, showscale=False,
                          hovertemplate="row %{y}, col %{x}: %{z:.3f}<extra></extra>")
    fig = go.Figure(heat)
    if box is not None:
        top, left, size = box
        fig.add_shape(type="rect", x0=left - offset - 0.5, x1=left - offset + size - 0.5,
                      y0=top - offset - 0.5, y1=top - offset + size - 0.5,
                      line={"color": BACKWARD, "width": 3})
    return _layout(fig, height, title=title,
                   xaxis={"showgrid": False, "zeroline": False, "constrain": "domain"},
                   yaxis={"autorange": "reversed", "scaleanchor": "x", "showgrid": False,
                          "zeroline": False})


def kernel_figure(kernel: np.ndarray, title: str, height: int = 260) -> go.Figure:
    """A kernel's weights as coloured cells with their values written in."""
    k = np.asarray(kernel, dtype=np.float64)
    m = float(np.abs(k).max()) or 1.0
    fig = go.Figure(go.Heatmap(z=k, zmin=-m, zmax=m, showscale=False,
                               colorscale=[[0, ORANGE], [0.5, WHITE], [1, BLUE]],
                               text=[[f"{v:.2g}" for v in row] for row in k],
                               texttemplate="%{text}" if k.shape[0] <= 7 else None,
                               hovertemplate="%{z:.3f}<extra></extra>"))
    return _layout(fig, height, title=title,
                   xaxis={"visible": False, "constrain": "domain"},
                   yaxis={"visible": False, "autorange": "reversed", "scaleanchor": "x"})


# ----- gradient flow ---------------------------------------------------------------------------
def grad_norm_figure(names: Sequence[str], norms: Sequence[float], height: int = 320,
                     title: str = "gradient norm per layer (log scale)") -> go.Figure:
    """‖∂L/∂W‖ per layer, first layer left: a slope down to the left is a vanishing gradient."""
    values = [v if np.isfinite(v) and v > 0 else None for v in norms]
    fig = go.Figure(go.Bar(x=list(names), y=values, marker_color=BLUE,
                           hovertemplate="%{x}: %{y:.2e}<extra></extra>"))
    return _layout(fig, height, title=title, yaxis={"type": "log", "exponentformat": "power",
                                                    "title": "‖∂L/∂W‖"})


def grad_history_figure(names: Sequence[str], steps: Sequence[int],
                        norms: Sequence[Sequence[float]], height: int = 320) -> go.Figure:
    """log10 of each layer's gradient norm (rows) at each recorded step (columns)."""
    z = np.log10(np.clip(np.asarray(norms, dtype=np.float64).T, 1e-30, None))
    z[~np.isfinite(z)] = np.nan
    fig = go.Figure(go.Heatmap(x=list(steps), y=list(names), z=z, colorscale="Viridis",
                               colorbar={"title": "log₁₀‖∂L/∂W‖"},
                               hovertemplate="step %{x}, %{y}: 10^%{z:.1f}<extra></extra>"))
    return _layout(fig, height, title="gradient norms over training",
                   xaxis={"title": "step"}, yaxis={"autorange": "reversed"})


def activation_hist_figure(names: Sequence[str], bins: np.ndarray,
                           hists: Sequence[np.ndarray], height: int = 320) -> go.Figure:
    """Each layer's activation histogram as one row (share of values per bin)."""
    centres = (bins[:-1] + bins[1:]) / 2
    fig = go.Figure(go.Heatmap(x=centres, y=list(names[:len(hists)]),
                               z=np.asarray(hists, dtype=np.float64), colorscale="Blues",
                               colorbar={"title": "share"},
                               hovertemplate="%{y}, value %{x:.2f}: %{z:.0%}<extra></extra>"))
    return _layout(fig, height, title="activations per layer (histogram rows)",
                   xaxis={"title": "activation value (ends clipped at ±1.5)"},
                   yaxis={"autorange": "reversed"})


def loss_history_figure(steps: Sequence[int], losses: Sequence[float],
                        height: int = 240) -> go.Figure:
    fig = go.Figure(go.Scatter(x=list(steps), y=list(losses), mode="lines+markers",
                               line={"color": INK}))
    return _layout(fig, height, title="training loss", xaxis={"title": "step"},
                   yaxis={"title": "loss"})
