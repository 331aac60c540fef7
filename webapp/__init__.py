"""The web gallery: Flask + htmx over the catalogue, querying only through `picat.schema`.

Installed as `picat.webapp`; `create_app` is the application factory, `server.serve`
runs it under waitress, `picat web` does both.
"""

from picat import refuse_stray_import

refuse_stray_import(__name__)

from .app import create_app

__all__ = ["create_app"]
