"""Each user's dashboard preferences: theme, time zone, and the explore board's cards.

Stored in the catalog (one JSON object per user), so they follow the user to any browser and
any replica. Every value is checked on the way in: a bad time zone or an oversized board is a
UsageError naming it, and nothing is written.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from variosync.catalog.tables import PreferenceRow
from variosync.errors import ConflictError, StorageError, UsageError

MAX_CARDS = 24
MAX_BOARD_BYTES = 64 * 1024
RETRIES = 20


class Theme(StrEnum):
    """The dashboard's colours: follow the browser, or always light or dark."""

    AUTO = "auto"
    LIGHT = "light"
    DARK = "dark"


@dataclass(frozen=True)
class Preferences:
    """One user's preferences (the defaults until they change one)."""

    theme: Theme = Theme.AUTO
    time_zone: str = "UTC"
    board: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """As stored."""
        return {"theme": self.theme.value, "time_zone": self.time_zone, "board": self.board}


def check_zone(name: str) -> str:
    """An IANA time zone name, or UsageError."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"unknown time zone {name!r}", hint="use an IANA name such as Europe/Berlin or UTC"
        ) from None
    return name


def check_board(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A board layout: at most MAX_CARDS cards of JSON objects, MAX_BOARD_BYTES in all."""
    if not isinstance(cards, list) or not all(isinstance(c, dict) for c in cards):
        raise UsageError("a board is a list of cards (objects)")
    if len(cards) > MAX_CARDS:
        raise UsageError(f"a board holds at most {MAX_CARDS} cards", hint="close a card first")
    if len(json.dumps(cards)) > MAX_BOARD_BYTES:
        raise UsageError(f"the board's layout is over {MAX_BOARD_BYTES // 1024} KiB")
    return cards


def _of(values: dict[str, Any] | None) -> Preferences:
    """Stored values as preferences; anything no longer valid falls back to its default."""
    values = values or {}
    found = Preferences()
    with contextlib.suppress(ValueError):
        found = replace(found, theme=Theme(values.get("theme", Theme.AUTO)))
    zone = values.get("time_zone")
    if isinstance(zone, str):
        with contextlib.suppress(UsageError):
            found = replace(found, time_zone=check_zone(zone))
    board = values.get("board")
    if isinstance(board, list):
        found = replace(found, board=[c for c in board if isinstance(c, dict)])
    return found


class PreferenceStore:
    """The preferences of one catalog database's users."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, user_id: str) -> Preferences:
        """The user's preferences (the defaults when none were saved)."""
        return _of(self._read(user_id)[0])

    def _read(self, user_id: str) -> tuple[dict[str, Any] | None, datetime | None]:
        """The stored values and when they were written (None, None before the first save)."""
        try:
            with self._engine.connect() as connection:
                found = connection.execute(
                    select(PreferenceRow.values, PreferenceRow.updated_at).where(
                        PreferenceRow.user_id == user_id
                    )
                ).first()
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot read preferences: {type(exc).__name__}") from exc
        return (None, None) if found is None else (found[0], found[1])

    def update(
        self,
        user_id: str,
        *,
        theme: Theme | str | None = None,
        time_zone: str | None = None,
        board: list[dict[str, Any]] | None = None,
    ) -> Preferences:
        """Change some preferences (the others stay); the result as stored. Two changes at
        once (two tabs) both land: the write is a compare-and-swap on the last write's time,
        retried on a lost race."""
        for _ in range(RETRIES):
            stored, written = self._read(user_id)
            current = _changed(_of(stored), theme, time_zone, board)
            if self._swap(user_id, current.to_dict(), written):
                return current
        raise ConflictError("the preferences kept changing while saving", hint="try again")

    def update_board(
        self, user_id: str, change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
    ) -> Preferences:
        """Apply ``change`` to the board as stored now and save the result; the preferences as
        stored. Two tabs changing the board at once both land: ``change`` is applied to a fresh
        read inside the compare-and-swap, again after a lost race — so it must be pure (it may
        run more than once). A board ``change`` makes invalid is refused, nothing written."""
        for _ in range(RETRIES):
            stored, written = self._read(user_id)
            current = _of(stored)
            board = check_board(change(copy.deepcopy(current.board)))
            current = replace(current, board=board)
            if self._swap(user_id, current.to_dict(), written):
                return current
        raise ConflictError("the board kept changing while saving", hint="try again")

    def _swap(self, user_id: str, values: dict[str, Any], written: datetime | None) -> bool:
        """Write ``values`` if the row is still as read (``written``); whether it was."""
        now = datetime.now(UTC)
        change = {"values": values, "updated_at": now}
        try:
            with self._engine.begin() as connection:
                if written is None:
                    connection.execute(insert(PreferenceRow).values(user_id=user_id, **change))
                    return True
                if _utc(written) >= now:  # a clock that did not move: still a new stamp
                    change["updated_at"] = _utc(written) + timedelta(microseconds=1)
                done = connection.execute(
                    update(PreferenceRow)
                    .where(PreferenceRow.user_id == user_id, PreferenceRow.updated_at == written)
                    .values(**change)
                )
                return bool(done.rowcount)
        except IntegrityError:  # another request inserted the first row
            return False
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot save preferences: {type(exc).__name__}") from exc


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _changed(
    current: Preferences,
    theme: Theme | str | None,
    time_zone: str | None,
    board: list[dict[str, Any]] | None,
) -> Preferences:
    """``current`` with the given values checked and set."""
    if theme is not None:
        try:
            current = replace(current, theme=Theme(theme))
        except ValueError:
            choices = ", ".join(t.value for t in Theme)
            raise UsageError(f"unknown theme {theme!r}", hint=f"one of: {choices}") from None
    if time_zone is not None:
        current = replace(current, time_zone=check_zone(time_zone))
    if board is not None:
        current = replace(current, board=check_board(board))
    return current
