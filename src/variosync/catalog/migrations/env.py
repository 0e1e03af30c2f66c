"""Alembic environment: runs migrations on the connection handed over by the catalog."""

from __future__ import annotations

from alembic import context

from variosync.catalog.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("migrations run through `variosync db upgrade`, which passes a connection")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
