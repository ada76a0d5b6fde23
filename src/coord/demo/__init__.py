"""The demo network and the seeded generator of its activity (``coord generate``)."""

from coord.demo.generator import DEFAULT_START, generate
from coord.demo.network import Network, NetworkError, default_network_path, load_network

__all__ = [
    "DEFAULT_START",
    "Network",
    "NetworkError",
    "default_network_path",
    "generate",
    "load_network",
]
