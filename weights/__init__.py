"""Package data: the shipped weights and their manifest, installed as ``restore._weights`` (see restore.weights)."""
