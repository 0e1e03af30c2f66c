"""The docs stay honest: every command, setting, format and error class is documented."""

from __future__ import annotations

import inspect
from pathlib import Path

import click
import pytest

from variosync import errors
from variosync.cli.main import cli
from variosync.export import EXPORT_FORMATS
from variosync.formats import COMPRESSIONS, FORMATS
from variosync.settings import Settings

ROOT = Path(__file__).parents[1]
REFERENCE = (ROOT / "docs" / "reference.md").read_text()
README = (ROOT / "README.md").read_text()


def _commands(group: click.Group, prefix: str = "variosync") -> list[str]:
    names = []
    for name, command in group.commands.items():
        names.append(f"{prefix} {name}")
        if isinstance(command, click.Group):
            names += _commands(command, f"{prefix} {name}")
    return names


@pytest.mark.parametrize("command", _commands(cli))
def test_every_command_is_documented_and_its_help_ends_with_an_example(command: str) -> None:
    assert f"`{command}" in REFERENCE
    node: click.Command = cli
    for part in command.split()[1:]:
        assert isinstance(node, click.Group)
        node = node.commands[part]
    assert (
        "Example: " in (node.help or "") and "variosync" in (node.help or "").split("Example: ")[-1]
    )


@pytest.mark.parametrize("name", sorted(set(FORMATS) | set(EXPORT_FORMATS)))
def test_every_format_is_documented(name: str) -> None:
    assert f"| `{name}` |" in REFERENCE


@pytest.mark.parametrize("name", COMPRESSIONS)
def test_every_compression_is_documented(name: str) -> None:
    assert f"`{name}`" in REFERENCE


def _env_names() -> list[str]:
    names = []
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        choices = getattr(alias, "choices", [])
        names += [c for c in choices if isinstance(c, str) and c.isupper()]
    return names


@pytest.mark.parametrize("name", _env_names())
def test_every_setting_is_documented(name: str) -> None:
    assert f"`{name}`" in REFERENCE


@pytest.mark.parametrize(
    "cls",
    [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, Exception)],
    ids=lambda c: c.__name__,
)
def test_every_error_is_documented(cls: type[Exception]) -> None:
    assert f"| `{cls.__name__}` | " in REFERENCE
    assert cls.__name__ in (errors.__doc__ or "")


def test_readme_gives_the_two_setup_commands_on_its_first_screen() -> None:
    first_screen = "\n".join(README.splitlines()[:12])
    assert "variosync serve" in first_screen
    assert "bash scripts/test.sh" in first_screen
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_every_route_of_the_server_is_documented() -> None:
    from variosync.api import create_app

    server_doc = (ROOT / "docs" / "server.md").read_text()
    app = create_app(Settings(home=ROOT / "unused"))
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            route = f"`{method.upper()} {path.removeprefix('/api/v1')}`"
            assert f"| {route} |" in server_doc, route
