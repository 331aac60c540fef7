"""The web gallery: Flask + htmx over the catalogue, querying only through `picat.schema`.

Installed as `picat.webapp`; `create_app` is the application factory, `server.serve`
runs it under waitress, `picat web` does both.
"""

from .app import create_app

__all__ = ["create_app"]
