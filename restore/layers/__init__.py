"""Small shared building blocks, one concept per file."""
