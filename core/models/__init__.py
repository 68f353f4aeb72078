"""Trained models: where shipped ones live, saving and loading our safetensors files, uploads,
fine-tuning, novelty scores."""
