"""Classify galaxies: the page's views and its fine-tuning panel."""
