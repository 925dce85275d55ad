"""The live server: FastAPI app factory, HTTP and WebSocket routes over the live stage (``hiprom.live``).

``create_app(settings)`` builds the app; ``hiprom serve`` runs it with
uvicorn. See docs/server.md.
"""

from hiprom.server.app import create_app
from hiprom.server.settings import ServerSettings

__all__ = ["ServerSettings", "create_app"]
