"""Restoration bodies (feature extractors at input resolution), registered by name."""
