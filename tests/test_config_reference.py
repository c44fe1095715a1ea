"""docs/configuration.md is generated from the configuration classes and must stay in step."""

from __future__ import annotations

import io
from pathlib import Path

import attrs

from mmcore.cli import main
from mmcore.config_reference import field_comments, render_reference

DOC = Path(__file__).parent.parent / "docs" / "configuration.md"


def reference() -> str:
    out = io.StringIO()
    assert main(["config", "reference"], out=out, err=io.StringIO()) == 0
    return out.getvalue()


def test_committed_reference_matches_the_code():
    assert DOC.read_text() == reference(), (
        "docs/configuration.md is out of date: "
        "run `.venv/bin/mirrormanager config reference > docs/configuration.md`"
    )


def test_every_key_is_documented():
    undocumented = [line for line in reference().splitlines() if line.endswith("|  |")]
    assert undocumented == []


def test_comments_are_read_from_the_source():
    @attrs.frozen
    class Example:
        #: the first
        #: continued
        first: int = 1
        second: str = "x"
        #: the third
        third: bool = True

    assert field_comments(Example) == {"first": "the first continued", "third": "the third"}
    text = render_reference({"example": Example})
    assert "| `first` | `1` | the first continued |" in text
    assert "| `second` | `\"x\"` |  |" in text
