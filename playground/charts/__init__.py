"""Pure chart builders for the playground: NumPy numbers in, `plotly.graph_objects.Figure` out.

One module per view, as TensorFlow Playground keeps heatmap.ts and linechart.ts apart:
`boundary` (the model's output over the input plane), `network` (the diagram), `curves` (1-D
fit and loss/accuracy curves), `neuron_grid` (what each hidden neuron computes); `thumbnails`
encodes the small heatmap PNGs and `base` holds the conventions every chart module shares
(also `lab_charts` and `image_charts`).

The builders assemble plain dicts and wrap them once without per-property validation (the
tests validate instead), ship arrays as NumPy (Plotly base64-encodes them) and set an empty
template (the default one is most of a small figure's weight). Each figure keeps a fixed
`uirevision`, so a student's zoom or legend clicks survive redraws. No streamlit or torch
imports: these modules are tested headless and stay cheap to import.

Colours follow TensorFlow Playground (see `playground.colors`): orange = negative / class 0 /
low, white = undecided, blue = positive / class 1 / high.
"""
