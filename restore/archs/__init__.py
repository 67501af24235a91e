"""The networks, each registered by name in ``restore.registry.ARCHS`` with the facts tiling needs (its descriptor)."""
