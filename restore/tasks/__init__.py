"""Restoration tasks: preprocess → backbone + head → postprocess, plus their training degradation."""
