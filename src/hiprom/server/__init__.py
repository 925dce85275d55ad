"""The live server: FastAPI app factory, live loop, guided test and routes.

``create_app(settings)`` builds the app; ``hiprom serve`` runs it with
uvicorn. See docs/server.md.
"""

from hiprom.server.app import create_app
from hiprom.server.settings import ServerSettings

__all__ = ["ServerSettings", "create_app"]
