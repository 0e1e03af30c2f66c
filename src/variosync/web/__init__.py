"""The web dashboard: NiceGUI pages on the REST API's app — one process, one port."""

from variosync.web.app import create_web_app

__all__ = ["create_web_app"]
