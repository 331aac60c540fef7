"""Load test of the gallery, the JSON API and thumbnails under the production server.

`python -m bench.loadtest.run`: see `run.py` and `docs/hardening.md`.
"""
