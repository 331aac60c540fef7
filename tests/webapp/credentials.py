"""The passwords and API token of the authenticated gallery (`secure_app`)."""

from __future__ import annotations

PASSWORD = "correct horse battery"
READONLY_PASSWORD = "shared screen only"
TOKEN = "t0ken-for-scripts-0123456789abcdef"

