"""Cameras, triggers, thumbnails, the spool: the only writer of pictures.

Installed as `picat.capture`.
"""

from picat import refuse_stray_import

refuse_stray_import(__name__)
