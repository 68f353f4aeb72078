"""Lesson 4: convolution and pooling arithmetic on a real digit or galaxy."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.lessons import convolution as cv
from core.models.assets import assets_dir
from playground.charts import lesson_charts as charts
from playground.images.image_setup import default_image_config
from playground.lessons.lesson_widgets import lesson_threads, notice, try_on_images

LEARNED = "learned filter of the shipped MNIST CNN"
BOX = "blur (box k×k)"
DECK_EXAMPLE = np.array([[12, 20, 30, 0], [8, 12, 2, 0], [34, 70, 37, 4], [112, 100, 25, 12]],
                        dtype=np.float64)
lesson_threads()


@st.cache_resource(show_spinner=False)
def learned_kernels() -> list[np.ndarray]:
    path = assets_dir() / "mnist_cnn.safetensors"
    return cv.learned_kernels(path) if path.is_file() else []


def matrix_latex(m: np.ndarray, fmt: str = "{:.2f}") -> str:
    rows = [" & ".join(fmt.format(v) for v in row) for row in m]
    return r"\begin{bmatrix}" + r"\\".join(rows) + r"\end{bmatrix}"


st.title("Convolution and pooling arithmetic")
st.markdown(
    "A convolutional layer slides a small grid of weights — the *kernel* — over the picture. "
    "At each position it multiplies the kernel with the patch beneath, element by element, "
    "and adds everything up: one number of the output (the *feature map*). The same few "
    "weights are used at every position.")
st.latex(r"\text{out}[r, c] = \sum_{i=0}^{k-1}\sum_{j=0}^{k-1} K[i, j]\;"
         r"\text{in}_{\text{padded}}[r\,s + i,\ c\,s + j]")
st.latex(r"n_{\text{out}} = \left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1")

pictures = cv.sample_pictures()
st.header("1. Convolution")
setup, view = st.columns([1, 2.2])
with setup:
    picture = st.selectbox("Picture", range(len(pictures)), key="cv:picture",
                           format_func=lambda i: pictures[i].label)
    if len(pictures) and "scikit-learn" in pictures[0].label:
        st.caption("MNIST and Galaxy Zoo are not on this machine, so these are scikit-learn's "
                   "8×8 digits (set PLAYGROUND_DATA_DIR to use the real 28×28 ones).")
    image = pictures[picture].pixels
    kinds = [*cv.PRESET_KERNELS, BOX] + ([LEARNED] if learned_kernels() else [])
    kind = st.selectbox("Kernel", kinds, key="cv:kernel")
    if kind == BOX:
        k = st.slider("Kernel size k", 1, 9, 3, key="cv:k")
        kernel = np.full((k, k), 1.0 / (k * k), dtype=np.float32)
    elif kind == LEARNED:
        idx = st.slider("Filter", 1, len(learned_kernels()), 1, key="cv:filter")
        kernel = learned_kernels()[idx - 1]
    else:
        kernel = cv.PRESET_KERNELS[kind]
    k = kernel.shape[0]
    stride = st.slider("Stride s", 1, 4, 1, key="cv:stride")
    pad = st.slider("Padding p (zeros)", 0, 4, k // 2, key="cv:pad")
    n = image.shape[0]
    n_out = cv.output_size(n, k, pad, stride)
    st.latex(rf"n_{{\text{{out}}}} = \left\lfloor\frac{{{n} + 2\cdot{pad} - {k}}}{{{stride}}}"
             rf"\right\rfloor + 1 = {n_out}")
    st.plotly_chart(charts.kernel_figure(kernel, f"kernel {k}×{k}"), key="cv:kernel_chart")

if n_out < 1:
    st.error(f"A {k}×{k} kernel does not fit a {n}×{n} picture with padding {pad}: the "
             "formula gives no output. Add padding or pick a smaller kernel.")
    st.stop()
output = cv.convolve(image, kernel, stride, pad)
for key in ("cv:row", "cv:col"):  # a smaller output after a new stride: stay inside it
    if key in st.session_state:
        st.session_state[key] = min(int(st.session_state[key]), n_out - 1)
strongest = np.unravel_index(int(np.abs(output).argmax()), output.shape)
with setup:
    st.caption("Output pixel to work out by hand (starts at the strongest response):")
    c1, c2 = st.columns(2)
    row = c1.number_input("Output row", 0, n_out - 1, int(strongest[0]), key="cv:row")
    col = c2.number_input("Output column", 0, n_out - 1, int(strongest[1]), key="cv:col")
window = cv.conv_window(image, kernel, stride, pad, int(row), int(col))
with view:
    left, right = st.columns(2)
    left.plotly_chart(charts.image_figure(
        cv.padded(image, pad), f"input {n}×{n}, padded by {pad}",
        box=(window.top, window.left, k), height=380), key="cv:input")
    right.plotly_chart(charts.image_figure(
        output, f"feature map {n_out}×{n_out}", box=(int(row), int(col), 1), height=380,
        diverging=True), key="cv:output")
    torch_value = float(output[int(row), int(col)])
    st.markdown(f"**Output pixel ({row}, {col}) by hand**: the patch under the kernel "
                f"(rows {window.top}–{window.top + k - 1}, columns {window.left}–"
                f"{window.left + k - 1} of the padded input), times the kernel, summed.")
    if k <= 5:
        st.latex(matrix_latex(window.patch) + r"\odot" + matrix_latex(kernel) +
                 rf"\ \xrightarrow{{\ \sum\ }}\ {window.value:.4f}")
    m1, m2, m3 = st.columns(3)
    m1.metric("By hand (sum of products)", f"{window.value:.6f}")
    m2.metric("torch.nn.functional.conv2d", f"{torch_value:.6f}")
    m3.metric("Difference", f"{abs(window.value - torch_value):.1e}")
notice([
    "Edge kernels answer strongly (dark orange or blue) only where brightness changes; on "
    "flat background the products cancel to 0.",
    "Stride 2 halves the feature map; padding k // 2 with stride 1 keeps its size "
    "(\"same\" padding).",
    "The learned filters of our MNIST CNN were not designed by anyone: training found "
    "stroke and edge detectors by itself.",
])

# ----- pooling ---------------------------------------------------------------------------------
st.header("2. Pooling")
st.markdown("Pooling shrinks a feature map with no weights at all: each window is replaced "
            "by its largest value (max pooling) or its mean (average pooling).")
st.markdown("The decks' example, 2×2 max pooling with stride 2, checked by torch:")
deck_out = cv.pool(DECK_EXAMPLE, 2, 2, "max")
st.latex(matrix_latex(DECK_EXAMPLE, "{:g}") + r"\xrightarrow{\ \text{max } 2\times2\ }" +
         matrix_latex(deck_out, "{:g}"))
p1, p2, p3 = st.columns(3)
pool_kind = p1.radio("Pooling", ["max", "average"], horizontal=True, key="cv:pool_kind")
size = p2.slider("Window", 2, 4, 2, key="cv:pool_size")
pstride = p3.slider("Stride", 1, 4, 2, key="cv:pool_stride")
kind_key = "max" if pool_kind == "max" else "avg"
pooled = cv.pool(output, size, pstride, kind_key)
if pooled.size == 0:
    st.error("The window does not fit the feature map; use a smaller window.")
else:
    pr, pc_ = pooled.shape[0] // 2, pooled.shape[1] // 2
    pw = cv.pool_window(output, size, pstride, kind_key, pr, pc_)
    a, b = st.columns(2)
    a.plotly_chart(charts.image_figure(output, "feature map", box=(pw.top, pw.left, size),
                                       height=340, diverging=True), key="cv:pool_in")
    b.plotly_chart(charts.image_figure(pooled, f"{pool_kind} pooled {pooled.shape[0]}×"
                                       f"{pooled.shape[1]}", box=(pr, pc_, 1), height=340,
                                       diverging=True), key="cv:pool_out")
    st.markdown(f"Pixel ({pr}, {pc_}): {pool_kind} of the red window = **{pw.value:.6f}** by "
                f"hand, **{float(pooled[pr, pc_]):.6f}** from torch.")

# ----- parameters ------------------------------------------------------------------------------
st.header("3. Why convolutions: parameter counts")
filters = st.slider("Filters in the conv layer", 1, 64, 16, key="cv:filters")
counts = cv.parameter_counts(n, n, 1, filters, k, stride, pad)
c1, c2, c3 = st.columns(3)
c1.metric(f"Conv2D: {filters} filters of {k}×{k}", f"{counts.conv:,}")
c2.metric(f"Dense: {filters} units on all {n * n} pixels", f"{counts.dense_same_units:,}")
c3.metric(f"Dense: as many outputs ({counts.conv_outputs:,}) as the conv",
          f"{counts.dense_same_outputs:,}")
st.latex(rf"\text{{conv: }} {filters}\cdot({k}\cdot{k}\cdot 1 + 1) = {counts.conv:,}\qquad "
         rf"\text{{dense: }} ({n * n} + 1)\cdot{counts.conv_outputs:,} = "
         rf"{counts.dense_same_outputs:,}")
notice([
    f"To produce the same {counts.conv_outputs:,} numbers a dense layer would need "
    f"{counts.ratio:,.0f} times as many weights as the convolution.",
    "A conv layer's weight count does not depend on the picture size at all: the same "
    "kernel is reused at every position.",
])
try_on_images(default_image_config("mnist"), "a LeNet-like CNN on MNIST", "cv:lenet")
