"""Neural networks in PyTorch: models, the training loop, experiments and summaries."""
