"""Neural-network building blocks: ``functional`` (stateless) and layers (``Module``s)."""
from . import functional  # noqa: F401
