"""The CLI driven in-process through click's CliRunner, against a fresh home per test."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.envclean import clean_environment
from variosync.cli.main import cli

# An autouse fixture: importing it here applies it to every test in this folder.
__all__ = ["clean_environment"]


class Cli:
    """Run ``variosync --home HOME ...`` in-process and check how it answered."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.runner = CliRunner()

    def __call__(self, *args: str | Path, input: str | None = None) -> Result:
        argv = ["--home", str(self.home), *(str(a) for a in args)]
        return self.runner.invoke(cli, argv, input=input, prog_name="variosync")

    def ok(self, *args: str | Path, input: str | None = None) -> Result:
        """Run a command that must succeed."""
        result = self(*args, input=input)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
        assert result.exit_code == 0, f"exit {result.exit_code}\n{result.stderr}"
        assert "Traceback" not in result.output
        return result

    def fails(self, *args: str | Path, code: int | None = None, input: str | None = None) -> str:
        """Run a command that must fail with the CLI's error shape; returns its ``error:`` line.

        The shape: nothing on stdout, on stderr one ``error: ...`` line and at most one
        ``hint: ...`` line, a non-zero exit code, no traceback.
        """
        result = self(*args, input=input)
        assert isinstance(result.exception, SystemExit), result.exc_info
        assert result.exit_code != 0
        if code is not None:
            assert result.exit_code == code, result.stderr
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert "Traceback" not in result.stderr
        assert 1 <= len(lines) <= 2, lines
        assert lines[0].startswith("error: "), lines
        if len(lines) == 2:
            assert lines[1].startswith("hint: "), lines
        return lines[0]

    def ingest(self, *args: str | Path) -> dict[str, Any]:
        """``ingest ... --json``: the summary as a dict."""
        out = self.ok("ingest", *args, "--json").stdout
        summary: dict[str, Any] = json.loads(out)
        return summary

    def points(self, name: str, *args: str) -> list[dict[str, Any]]:
        """``query NAME ... --format jsonl``: one dict per point."""
        out = self.ok("query", name, *args, "--format", "jsonl").stdout
        return [json.loads(line) for line in out.splitlines()]

    def history(self, name: str) -> list[dict[str, Any]]:
        """``history NAME --json``, newest first."""
        versions: list[dict[str, Any]] = json.loads(self.ok("history", name, "--json").stdout)
        return versions

    def info(self, name: str) -> dict[str, Any]:
        """``info NAME --json``."""
        found: dict[str, Any] = json.loads(self.ok("info", name, "--json").stdout)
        return found


@pytest.fixture
def vs(tmp_path: Path) -> Cli:
    """The CLI with its home in ``tmp_path/home``."""
    return Cli(tmp_path / "home")


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, bytes | str], Path]:
    """Write bytes (or UTF-8 text) to ``tmp_path/files/NAME``."""
    folder = tmp_path / "files"
    folder.mkdir()

    def _write(name: str, data: bytes | str) -> Path:
        path = folder / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    return _write


@pytest.fixture
def samples() -> Iterator[Path]:
    """The folder of the bundled sample files."""
    from importlib import resources

    with resources.as_file(resources.files("variosync") / "samples") as folder:
        yield folder
