"""The REST API: FastAPI under ``/api/v1``, OpenAPI at ``/docs``."""

from variosync.api.app import create_app

__all__ = ["create_app"]
