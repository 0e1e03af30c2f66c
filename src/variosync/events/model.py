"""What an event is: its type, owner, time and data, and how it travels as JSON."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from variosync.redis_link import KEY_PREFIX

CHANNEL_PREFIX = KEY_PREFIX + "events:"


class EventType(StrEnum):
    """What happened (the ``event:`` line of the stream)."""

    DATASET_CHANGED = "dataset.changed"


class DatasetAction(StrEnum):
    """How a dataset changed (as the audit log names it)."""

    CREATE = "create"
    UPLOAD = "upload"
    CLEAN = "clean"
    RESTORE = "restore"
    DELETE = "delete"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True, kw_only=True)
class Event:
    """Something that happened to one user's data; ``at`` is UTC, ISO 8601."""

    type: EventType
    owner: str
    data: Mapping[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    at: str = field(default_factory=_now)

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready values."""
        return {
            "id": self.id,
            "type": str(self.type),
            "owner": self.owner,
            "at": self.at,
            "data": dict(self.data),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Event:
        """Back from :meth:`to_dict` (ValueError, KeyError or TypeError if it is not one)."""
        return cls(
            type=EventType(raw["type"]),
            owner=str(raw["owner"]),
            data=dict(raw["data"]),
            id=str(raw["id"]),
            at=str(raw["at"]),
        )


def dataset_changed(owner: str, dataset: str, action: DatasetAction, version: int | None) -> Event:
    """A ``dataset.changed`` event (``version`` is None once the dataset is deleted)."""
    data = {"dataset": dataset, "action": str(action), "version": version}
    return Event(type=EventType.DATASET_CHANGED, owner=owner, data=data)


def channel(owner: str) -> str:
    """The Redis channel of one user's events."""
    return CHANNEL_PREFIX + owner
