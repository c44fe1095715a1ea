"""Reading a deployment file for ``mirrormanager import``: size, encoding, nesting, TOML, then
the format (:mod:`mmcore.deployment_schema`), every problem reported at once.

A problem is reported as ``FILE:LINE: key.path: what is wrong (what was expected)``, the line being
where the key, table header or array element starts (:mod:`mmcore.toml_locator`).  See
``docs/import-export.md`` for the format and its limits.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from typing import BinaryIO

import attrs

from mmcore.deployment import Deployment
from mmcore.toml_locator import KeyPath, TomlLayout, format_key_path, scan_toml

#: the largest file ``import`` reads
MAX_FILE_BYTES = 16 * 1024 * 1024
#: the longest key path (keys, dotted key parts, array indices); the format needs 8
MAX_KEY_DEPTH = 16
#: problems listed before the rest are only counted
MAX_PROBLEMS_SHOWN = 1_000

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


@attrs.frozen
class Problem:
    """One thing wrong in a file: where (a key path; ``()`` for the whole file) and what."""

    path: KeyPath
    message: str
    #: the line when known without a key path (TOML syntax errors)
    line: int | None = None


class DeploymentFileError(Exception):
    """The file is unusable; ``problems`` lists every ``FILE:LINE: key.path: message``."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: {len(problems)} problem(s), nothing was written")

    def report(self) -> str:
        """Every problem on its own line (at most :data:`MAX_PROBLEMS_SHOWN`), then the count."""
        shown = self.problems[:MAX_PROBLEMS_SHOWN]
        lines = [*shown]
        if len(self.problems) > len(shown):
            lines.append(f"{self.source}: ... and {len(self.problems) - len(shown):,} more")
        return "\n".join(lines)


@attrs.frozen
class ParsedFile:
    """A validated file.

    :ivar deployment: the named entities as the file describes them; a site's ``password_hash``
        and ``created_by`` hold the file's values only where ``given`` says so (see
        :func:`mmcore.deployment_plan.plan_import`).
    :ivar plain_passwords: site name -> the clear-text ``password`` the file gives.
    :ivar given: site name -> which of ``password_hash``/``created_by`` the file sets.
    :ivar paths: where things are, for problems found later: ``("site", name)``,
        ``("host", site, host)``, ``("url", site, host, category, "urls" or "private_urls",
        url)``, ``("country_allowed", site, host, code)``.
    """

    source: str
    deployment: Deployment
    plain_passwords: Mapping[str, str]
    given: Mapping[str, frozenset[str]]
    paths: Mapping[tuple[str, ...], KeyPath]
    layout: TomlLayout

    def error(self, problems: Iterable[Problem]) -> DeploymentFileError:
        return located_error(self.source, self.layout, problems)


def located_error(
    source: str, layout: TomlLayout | None, problems: Iterable[Problem]
) -> DeploymentFileError:
    """The error listing ``problems`` with their lines, in line order."""
    located = []
    for problem in problems:
        line = problem.line or (layout.line_of(problem.path) if layout else 1)
        where = format_key_path(problem.path)
        text = f"{where}: {problem.message}" if where else problem.message
        located.append((line, f"{source}:{line}: {text}"))
    located.sort(key=lambda item: item[0])
    return DeploymentFileError(source, [text for _, text in located])


def read_deployment_source(name: str, stdin: BinaryIO) -> tuple[str, str]:
    """``(source name, text)`` of a file (``-``: standard input), refused when larger than
    :data:`MAX_FILE_BYTES` or not UTF-8."""
    source = "<stdin>" if name == "-" else name
    try:
        if name == "-":
            data = stdin.read(MAX_FILE_BYTES + 1)
        else:
            with open(name, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise DeploymentFileError(source, [f"{source}: cannot read: {exc.strerror or exc}"]) from None
    if len(data) > MAX_FILE_BYTES:
        message = f"larger than {MAX_FILE_BYTES // 2**20} MiB (the largest file import reads)"
        raise located_error(source, None, [Problem((), message)])
    try:
        return source, data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        message = f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} (save it as UTF-8)"
        raise located_error(source, None, [Problem((), message, line)]) from None


def load_toml(text: str, source: str) -> tuple[dict[str, object], TomlLayout]:
    """The document and where its keys are; syntax errors and over-deep nesting are problems."""
    layout = scan_toml(text, depth_limit=MAX_KEY_DEPTH)
    if layout.max_depth > MAX_KEY_DEPTH:
        message = (
            f"keys or values nest more than {MAX_KEY_DEPTH} levels deep (the deployment format "
            "needs at most 8: site[0].host[0].category[0].urls[0])"
        )
        raise located_error(source, None, [Problem((), message, layout.deepest_line)])
    try:
        return tomllib.loads(text), layout
    except tomllib.TOMLDecodeError as exc:
        message, line = str(exc), None
        position = _TOML_POSITION.search(message)
        if position:
            line = int(position.group(1))
            message = f"{message[:position.start()]} (column {position.group(2)})"
        raise located_error(source, None, [Problem((), f"invalid TOML: {message}", line)]) from None
    except RecursionError:  # cannot happen below MAX_KEY_DEPTH; kept as a last guard
        message = "values nest too deeply for the TOML reader"
        raise located_error(source, None, [Problem((), message, layout.deepest_line)]) from None
