"""Timelapse videos from a gallery view: encoding (`encode`), background jobs (`jobs`),
their settings (`settings`) and the `picat timelapse` command (`timelapse_command`).

Installed as `picat.timelapse`. It is a reader of the catalogue like the gallery:
frames are chosen by `picat.schema.frames` (a query, so it lives with the other
queries) and read through `picat.schema.store`; nothing here knows HTTP, so the
command line and the gallery share it, and the gallery only starts, watches and
serves jobs.
"""

from picat import refuse_stray_import

refuse_stray_import(__name__)
