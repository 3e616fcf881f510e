"""Bottom utilities: repository paths, atomic writes and guards, resource limits."""
