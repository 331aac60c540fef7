"""The gallery as `picat web` serves it (waitress, `picat.webapp.server`), on a private catalogue.

Run as a separate process by `run.py`, so the load generator never competes with
the server for Python's GIL. Settings come from the environment, like `picat web`.
"""

from __future__ import annotations

import os

from picat.passwords import hash_password
from picat.schema import Catalogue
from picat.webapp import create_app
from picat.webapp.auth import Auth
from picat.webapp.server import serve


def main() -> None:
    catalogue = Catalogue(prefix=os.environ["LOADTEST_PREFIX"], index=os.environ["LOADTEST_INDEX"])
    auth = Auth(
        hash_password(os.environ["LOADTEST_PASSWORD"]), api_token=os.environ["LOADTEST_TOKEN"]
    )
    app = create_app(
        os.environ["LOADTEST_REDIS_URL"], catalogue=catalogue,
        secret_key=os.environ["LOADTEST_SECRET"].encode(), auth_settings=auth,
    )
    serve(app, "127.0.0.1", int(os.environ["LOADTEST_PORT"]))


if __name__ == "__main__":
    main()
