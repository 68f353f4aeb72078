"""Galaxy morphology: reading sky files, framing cut-outs, the classifier, its calibration and its
checks under shift."""
