"""Which version of a table a read opens: the latest, or an old one that is known to exist."""

from __future__ import annotations

from variosync.errors import NotFoundError


def version_to_read(latest: int, as_of: int | None) -> int:
    """``as_of`` if the table has that version (``latest`` when None), else NotFoundError.

    Asked before the table is opened: deltalake looks for a missing version in time that
    grows with its number (2**31 takes minutes, one worker thread held throughout), and a
    number beyond int64 overflows the catalog's lookup of the version's display zone.
    """
    if as_of is None:
        return latest
    if not 0 <= as_of <= latest:
        raise NotFoundError(
            f"version {as_of} does not exist (latest is {latest})",
            hint="`variosync history NAME` lists the versions",
        )
    return as_of
