"""Walk a whole view page by page, and the order a view must have, computed independently."""

from __future__ import annotations

from collections.abc import Iterable

import redis

from picat.schema import Catalogue
from picat.schema.query import Filters, Page, Sort, search

from .conftest import Shot


def walk(
    r: redis.Redis, catalogue: Catalogue, filters: Filters, sort: Sort, limit: int,
) -> tuple[list[str], list[Page]]:
    """Every id of the view in page order, and the pages."""
    ids: list[str] = []
    pages: list[Page] = []
    cursor = None
    while True:
        page = search(r, filters, sort, limit, cursor, catalogue=catalogue)
        pages.append(page)
        ids += [image.pk for image in page.images]
        cursor = page.next_cursor
        if cursor is None:
            return ids, pages
        assert len(pages) < 10_000, "paging does not end"


def _matches(shot: Shot, f: Filters) -> bool:
    if f.start is not None and shot.timestamp < f.start:
        return False
    if f.end is not None and shot.timestamp > f.end:
        return False
    if f.lux_min is not None or f.lux_max is not None:
        if shot.lux is None:
            return False
        if f.lux_min is not None and shot.lux < f.lux_min:
            return False
        if f.lux_max is not None and shot.lux > f.lux_max:
            return False
    if f.camera is not None and shot.camera != f.camera:
        return False
    if f.tod_from is not None or f.tod_to is not None:
        if shot.time_of_day is None:
            return False
        start = f.tod_from if f.tod_from is not None else 0
        stop = f.tod_to if f.tod_to is not None else 86400
        tod = shot.time_of_day
        inside = start <= tod < stop if start < stop else (tod >= start or tod < stop)
        if not inside:
            return False
    return True


def expected(shots: Iterable[Shot], filters: Filters, sort: Sort) -> list[str]:
    """The documented order: sort value, then timestamp (lux sorts), then id; no-lux last."""
    found = [shot for shot in shots if _matches(shot, filters)]
    lit = [shot for shot in found if shot.lux is not None]
    dark_unknown = sorted(
        (shot for shot in found if shot.lux is None),
        key=lambda s: (s.timestamp, s.id), reverse=True,
    )
    if sort is Sort.NEWEST:
        ordered = sorted(found, key=lambda s: (s.timestamp, s.id), reverse=True)
    elif sort is Sort.OLDEST:
        ordered = sorted(found, key=lambda s: (s.timestamp, s.id))
    elif sort is Sort.BRIGHTEST:
        ordered = sorted(lit, key=lambda s: (s.lux, s.timestamp, s.id), reverse=True)
        ordered += dark_unknown
    else:
        ordered = sorted(lit, key=lambda s: (-s.lux, s.timestamp, s.id), reverse=True)
        ordered += dark_unknown
    return [shot.id for shot in ordered]
