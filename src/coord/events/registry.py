"""The type registry: every known event type, each schema version, and the upcasters.

Upcasters run on the raw ``data`` dict *before* validation: ``(type, vN) -> vN+1``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from coord.events.types import ALL_TYPES, EventData

RawData = dict[str, Any]
Upcaster = Callable[[RawData], RawData]


class UnknownEventType(KeyError):
    pass


class Registry:
    """Maps a type name and schema version to its data model; upcasts old versions."""

    def __init__(self, models: Iterable[type[EventData]] = ()) -> None:
        self._models: dict[str, dict[int, type[EventData]]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}
        for model in models:
            self.register(model)

    def register(self, model: type[EventData]) -> None:
        """Add a schema version of a type (the model's ``TYPE`` and ``VERSION``)."""
        versions = self._models.setdefault(model.TYPE, {})
        if model.VERSION in versions:
            raise ValueError(f"{model.TYPE} v{model.VERSION} is already registered")
        versions[model.VERSION] = model

    def add_upcaster(self, type_name: str, from_version: int, upcaster: Upcaster) -> None:
        """Register the function that turns ``from_version`` data into ``from_version + 1``."""
        self._upcasters[(type_name, from_version)] = upcaster

    def copy(self) -> Registry:
        clone = Registry()
        clone._models = {name: dict(v) for name, v in self._models.items()}
        clone._upcasters = dict(self._upcasters)
        return clone

    def __contains__(self, type_name: object) -> bool:
        return type_name in self._models

    def names(self) -> list[str]:
        return sorted(self._models)

    def latest_version(self, type_name: str) -> int:
        return max(self._versions(type_name))

    def model(self, type_name: str, version: int | None = None) -> type[EventData]:
        versions = self._versions(type_name)
        return versions[max(versions) if version is None else version]

    def has_version(self, type_name: str, version: int) -> bool:
        return version in self._versions(type_name)

    def upcast(self, type_name: str, version: int, data: RawData) -> RawData:
        """Run the upcaster chain from ``version`` to the latest version of the type."""
        latest = self.latest_version(type_name)
        while version < latest:
            upcaster = self._upcasters.get((type_name, version))
            if upcaster is None:
                raise LookupError(f"no upcaster for {type_name} v{version} -> v{version + 1}")
            data = upcaster(dict(data))
            version += 1
        return data

    def _versions(self, type_name: str) -> dict[int, type[EventData]]:
        try:
            return self._models[type_name]
        except KeyError:
            raise UnknownEventType(type_name) from None


#: The registry of this release: every type of SPEC §4 at schema_version 1.
DEFAULT_REGISTRY = Registry(ALL_TYPES)
