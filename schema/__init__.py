"""The data contract between capture and the gallery: keys, ids, model, index.

Installed as `picat.schema`. Capture writes and the web app reads only through it.
"""

from picat import refuse_stray_import

refuse_stray_import(__name__)

from .catalogue import DEFAULT_CATALOGUE, INDEX_NAME, KEY_PREFIX, Catalogue
from .connection import connect
from .ids import InvalidImageId, id_timestamp, is_valid_image_id, new_image_id, validate_image_id
from .model import BINARY_FIELDS, IMAGE_DATA, THUMBNAIL, Image, Trigger

__all__ = [
    "BINARY_FIELDS",
    "DEFAULT_CATALOGUE",
    "IMAGE_DATA",
    "INDEX_NAME",
    "KEY_PREFIX",
    "THUMBNAIL",
    "Catalogue",
    "Image",
    "InvalidImageId",
    "Trigger",
    "connect",
    "id_timestamp",
    "is_valid_image_id",
    "new_image_id",
    "validate_image_id",
]
