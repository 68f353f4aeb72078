"""Home: what the playground is and where each lesson lives. Imports no torch (fast first paint)."""

from __future__ import annotations

import streamlit as st

from playground.lessons.curriculum import DECKS, NOT_COVERED, markdown_table

LESSONS = (
    ("perceptron.py", "1 · The perceptron: weights, bias, the learning rule, XOR"),
    ("backprop.py", "2 · Backpropagation by hand, checked against autograd"),
    ("functions.py", "3 · Activation and loss functions, dead ReLUs"),
    ("convolution.py", "4 · Convolution and pooling arithmetic"),
    ("gradients.py", "5 · Vanishing and exploding gradients, live"),
    ("code.py", "6 · The code you would write: Keras and PyTorch"),
)

st.title("Neural Network Playground")
st.markdown(
    """
Build a neural network, press **play**, and *watch* it learn: live loss curves, a decision
boundary that morphs as the weights move, what every hidden neuron computes, and a network
diagram whose links show the weights. Everything runs on a real PyTorch core, on your CPU or GPU,
and every setup is a link you can share.
"""
)

st.subheader("Pages")
col1, col2 = st.columns(2)
with col1:
    st.page_link("app_pages/playground_2d.py",
                 label="**Playground** — 2-D classification and regression",
                 icon=":material/science:")
    st.caption(
        "Stack dense layers, pick activations, losses, optimizers, learning rate, batch size, "
        "L1/L2, dropout and early stopping; start from a preset that teaches one idea."
    )
    st.page_link("app_pages/images.py",
                 label="**Train on images** — MNIST digits and real SDSS galaxies",
                 icon=":material/image:")
    st.caption(
        "Stack convolutions, pooling, batch norm, dropout and dense layers; augment the data, "
        "weight rare classes, and watch the confusion matrix and the current mistakes live."
    )
    st.page_link("app_pages/draw.py",
                 label="**Draw a digit** — a network reads your handwriting",
                 icon=":material/draw:")
    st.caption(
        "Draw on a canvas (mouse, finger or pen) and an MNIST network answers as the pen lifts: "
        "what it sees, where it looked, and a fine-tuned copy that learns from its mistakes."
    )
    st.page_link("app_pages/galaxy.py",
                 label="**Classify galaxies** — upload sky images, get a morphology",
                 icon=":material/public:")
    st.caption(
        "JPEG, PNG, TIFF or FITS: stretched and framed like the training cut-outs, then the "
        "network's call, its confidence and a Grad-CAM map; fine-tune it on your own classes."
    )
    st.page_link("app_pages/feature_maps.py",
                 label="**Feature maps** — look inside a trained image model",
                 icon=":material/grid_on:")
    st.caption(
        "Every convolution's feature maps for a test digit or galaxy (or your own image), the "
        "learned filters, and how activations and gradients spread from layer to layer."
    )
    st.page_link("app_pages/learning_rate.py",
                 label="**Learning rate** — overshoot, the LR range test, side by side",
                 icon=":material/speed:")
    st.caption(
        "Gradient descent on a parabola and a bowl around 1/L and 2/L, Smith's range test on "
        "your Playground network, and three learning rates trained at once."
    )
    st.page_link("app_pages/optimizers.py",
                 label="**Optimizers** — races on test surfaces, your network's landscape",
                 icon=":material/route:")
    st.caption(
        "SGD, momentum, Adam and friends on Rosenbrock, Beale, Himmelblau, a saddle and two "
        "minima; then the loss landscape around the weights your Playground run found."
    )
with col2:
    st.markdown("**Lessons: the lecture decks, interactive**")
    for path, label in LESSONS:
        st.page_link(f"app_pages/lessons/{path}", label=label, icon=":material/school:")
    st.caption("Each lesson has the math, one thing to play with, what to notice, and a "
               "button that opens a matching setup in the Playground.")

st.subheader("Curriculum map")
st.caption("Every topic of the five lecture decks and where it is taught here. Links open in "
           "a new tab; a preset link opens the Playground with that lesson's setup. Decks: "
           + "; ".join(f"**{k}** {v}" for k, v in DECKS.items()) + ".")
st.markdown(markdown_table())
st.caption("Not covered here (yet): " + ", ".join(NOT_COVERED) + ".")
