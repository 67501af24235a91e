"""One resumable training loop for every task, plus patch datasets and validation."""
