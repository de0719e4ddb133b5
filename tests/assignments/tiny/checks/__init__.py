"""The tiny assignment's hidden checks: pytest tests built only from the engine's public parts."""
