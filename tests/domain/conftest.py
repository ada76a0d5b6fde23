from __future__ import annotations

import pytest

from .builders import World, network


@pytest.fixture
def world() -> World:
    """A world with the base network (see builders.network)."""
    return network(World())


@pytest.fixture
def empty() -> World:
    return World()
