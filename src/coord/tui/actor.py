"""Who is recording: ``--user/--role/--site`` options, else the config file
``$XDG_CONFIG_HOME/coord/config.toml`` (``~/.config/coord/config.toml``)::

    [actor]
    user = "j.smith"
    role = "mdt_coordinator"
    site = "S01"

An option given on the command line wins over the file, field by field.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from coord.events import Actor

CONFIG_ENV = "COORD_CONFIG"
ACTOR_FIELDS = ("user", "role", "site")


class ConfigError(Exception):
    """The config file cannot be read or its ``[actor]`` table is not as documented."""


def config_path() -> Path:
    """``$COORD_CONFIG``, else ``$XDG_CONFIG_HOME/coord/config.toml`` (``~/.config/...``)."""
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        return Path(explicit)
    home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(home) / "coord" / "config.toml"


def actor_from_config(path: Path) -> dict[str, str]:
    """The ``[actor]`` fields of the config file (empty when the file does not exist)."""
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as handle:
            config = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"cannot read the config file {path}: {error}") from None
    table = config.get("actor", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [actor] must be a table with user, role and site")
    unknown = sorted(set(table) - set(ACTOR_FIELDS))
    if unknown:
        raise ConfigError(
            f"{path}: [actor] has unknown key(s) {', '.join(unknown)}; use user, role and site"
        )
    found: dict[str, str] = {}
    for key, value in table.items():
        if not isinstance(value, str):
            raise ConfigError(f"{path}: [actor] {key} must be a string")
        if value.strip():
            found[key] = value.strip()
    return found


def resolve_actor(
    user: str | None = None,
    role: str | None = None,
    site: str | None = None,
    *,
    path: Path | None = None,
) -> Actor:
    """The actor from the options, completed from the config file."""
    fields = actor_from_config(path or config_path())
    for key, value in (("user", user), ("role", role), ("site", site)):
        if value is not None and value.strip():
            fields[key] = value.strip()
    return Actor(**fields)


def describe_actor(actor: Actor) -> str:
    """``j.smith (mdt_coordinator, S01)``; ``nobody set`` when no field is."""
    details = ", ".join(v for v in (actor.role, actor.site) if v)
    who = actor.user or "unnamed user"
    if not actor.as_json():
        return "recording as: nobody set (use --user/--role/--site)"
    return f"recording as {who}" + (f" ({details})" if details else "")
