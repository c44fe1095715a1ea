"""Configuration: one TOML file, structured by cattrs into attrs classes.

The core owns ``[database]`` and ``[paths]``; every other top-level table belongs to the plugin
that declared it through ``mm_config_sections`` (the scanner's ``[umdl]``, the crawler's
``[crawler]``, ``[mirrorlist]``, ``[ui]``, ...).  Every setting has a working default, so running
with no file at all uses an SQLite database ``./mirrormanager.db`` and data under ``./var/``.

Errors name the file, the key path and what was expected, and exit with status 2.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn

from mmcore.validators import InvalidSetting, database_url

CONFIG_ENV = "MIRRORMANAGER_CONFIG"
DEFAULT_CONFIG_NAME = "mirrormanager.toml"

T = TypeVar("T")


class ConfigError(Exception):
    """A configuration file could not be used.  ``str()`` names the file, key and expectation."""


@attrs.frozen
class DatabaseConfig:
    #: SQLAlchemy URL; relative SQLite paths are relative to the working directory
    url: str = attrs.field(default="sqlite:///mirrormanager.db", validator=database_url)


@attrs.frozen
class PathsConfig:
    #: where logs, caches and other generated files go (relative to the working directory)
    data_dir: str = "var"


@attrs.frozen
class Config:
    """The loaded configuration.  Plugin sections are reached with :meth:`section`."""

    database: DatabaseConfig = DatabaseConfig()
    paths: PathsConfig = PathsConfig()
    #: the file it was read from, ``None`` when running on defaults
    source: Path | None = None
    sections: Mapping[str, Any] = attrs.field(factory=dict)

    def section(self, name: str, expected_type: type[T] | None = None) -> T:
        """The structured ``[name]`` table (its defaults when the file has none)."""
        try:
            value = self.sections[name]
        except KeyError:
            raise KeyError(f"no plugin declared the configuration section [{name}]") from None
        if expected_type is not None and not isinstance(value, expected_type):
            raise TypeError(f"[{name}] is a {type(value).__name__}, not {expected_type.__name__}")
        return value

    @property
    def data_dir(self) -> Path:
        return Path(self.paths.data_dir)


CORE_SECTIONS: dict[str, type] = {"database": DatabaseConfig, "paths": PathsConfig}


def find_config_file(explicit: str | None) -> Path | None:
    """``--config``, else ``$MIRRORMANAGER_CONFIG``, else ``./mirrormanager.toml`` if present."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env)
    default = Path(DEFAULT_CONFIG_NAME)
    return default if default.exists() else None


def make_converter() -> cattrs.Converter:
    """A strict converter: unknown keys are errors, and ``"1"`` is not silently an int."""
    converter = cattrs.Converter(forbid_extra_keys=True, prefer_attrib_converters=True)

    def strict(kind: type) -> Any:
        def structure(value: Any, _type: type) -> Any:
            if type(value) is not kind and not (kind is float and type(value) is int):
                raise TypeError(f"expected {kind.__name__}, got {type(value).__name__} {value!r}")
            return kind(value)

        return structure

    for kind in (str, int, float, bool):
        converter.register_structure_hook(kind, strict(kind))
    converter.register_structure_hook_factory(
        attrs.has,
        lambda cls: make_dict_structure_fn(cls, converter, _cattrs_forbid_extra_keys=True),
    )
    return converter


_KEY_MARK = "\x00"


def _format_exception(exc: BaseException, type_: Any) -> str:
    if isinstance(exc, InvalidSetting):
        # raised by the class's validator: cattrs gives the table's path, we add the key
        return f"{_KEY_MARK}{exc.key}{_KEY_MARK}{exc.reason}"
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        return "unknown key " + ", ".join(repr(k) for k in sorted(exc.extra_fields))
    if isinstance(exc, (TypeError, ValueError)) and str(exc):
        return str(exc)
    return cattrs.v.format_exception(exc, type_)


def _describe(errors: list[str]) -> str:
    """cattrs says ``message @ key.path``; we say ``key.path: message``."""
    described = []
    for error in errors:
        message, _, path = error.rpartition(" @ ")
        if message.startswith(_KEY_MARK):
            key, _, message = message[1:].partition(_KEY_MARK)
            path = f"{path}.{key}"
        described.append(f"{path}: {message}" if message else error)
    return "; ".join(described)


def structure_section(
    converter: cattrs.Converter, name: str, data: Any, cls: type[T], where: str
) -> T:
    """Structure one table, turning cattrs' exception tree into key-path messages."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: [{name}] must be a table, got {type(data).__name__}")
    try:
        return converter.structure(data, cls)
    except cattrs.BaseValidationError as exc:
        messages = cattrs.transform_error(exc, path=name, format_exception=_format_exception)
        raise ConfigError(f"{where}: {_describe(messages)}") from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: [{name}]: {exc}") from None


def check_file_safety(path: Path) -> None:
    """Refuse a configuration file that someone else could have written: it can name programs
    to run (``[rsync] command``) and databases to write.

    :raises ConfigError: the file is writable by its group or by others, or is owned by a user
        other than the one running the command (or root).
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ConfigError(
            f"{path}: refused: the file is writable by its group or by others, and a "
            f"configuration names programs to run; fix: chmod go-w {path}"
        )
    if info.st_uid not in (os.geteuid(), 0):
        raise ConfigError(
            f"{path}: refused: the file is owned by user id {info.st_uid}, not by you "
            f"({os.geteuid()}) or root; fix: chown {os.geteuid()} {path} (or copy it)"
        )


def load_config(path: Path | None, plugin_sections: Mapping[str, type]) -> Config:
    """Read and validate ``path`` (``None``: defaults only).

    :param plugin_sections: table name -> attrs class, as collected from ``mm_config_sections``.
    :raises ConfigError: unreadable file, TOML syntax, unknown table or key, wrong type.
    """
    overlap = set(plugin_sections) & set(CORE_SECTIONS)
    if overlap:
        raise ConfigError(f"plugins declare core configuration sections: {sorted(overlap)}")
    raw: dict[str, Any] = {}
    where = str(path) if path else "<defaults>"
    if path is not None:
        check_file_safety(path)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{where}: configuration file not found") from None
        except OSError as exc:
            raise ConfigError(f"{where}: cannot read: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{where}: not UTF-8 text: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{where}: invalid TOML: {exc}") from None

    known = {**CORE_SECTIONS, **plugin_sections}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ConfigError(
            f"{where}: unknown section or key {', '.join(repr(k) for k in unknown)} "
            f"(known sections: {', '.join(sorted(known))})"
        )
    converter = make_converter()
    structured = {
        name: structure_section(converter, name, raw.get(name, {}), cls, where)
        for name, cls in known.items()
    }
    return Config(
        database=structured.pop("database"),
        paths=structured.pop("paths"),
        source=path,
        sections=structured,
    )
