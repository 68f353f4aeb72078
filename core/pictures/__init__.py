"""Pictures in: reading any image safely, and the MNIST digit recipe."""
