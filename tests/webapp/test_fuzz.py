"""Hostile input on every route: no 5xx, no stack trace, no query the filters do not describe.

Hypothesis draws a route (every rule the app has, GET and POST, with ids valid,
missing or hostile), a session (curator, read-only, API token, none), a CSRF token
(the session's, none, or hostile: unicode, NUL, huge) and query
parameters mixing well-formed values with RediSearch syntax, huge, unicode and
control-character strings. Every answer must be below 500 and free of tracebacks;
every FT.SEARCH/FT.AGGREGATE the JSON API reports must be built only from the
parsed filters: the camera as an escaped TAG, numbers as numbers inside the
ranges asked for. Cursors are checked to be tamper-evident. Bounded to about 20 s.
"""

from __future__ import annotations

import math
import re
import shlex
import time
from datetime import datetime
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from picat.schema.clock import EARLIEST, LATEST
from picat.schema.query import Filters, escape_tag, parse_filters
from picat.webapp.params import parse_tz

from ..forms import csrf_from, log_in
from .credentials import PASSWORD, READONLY_PASSWORD, TOKEN

ROUTE_EXAMPLES = 3000
API_EXAMPLES = 1500
HOSTILE = [
    "*", "1] | @camera:{x}", "@camera:{x}", "-@lux:[-inf +inf]", "1 | 2", "0) | (1",
    "{x}", "\\", "'", '"', "%", "%00", "\x00", "\r\nX-Injected: 1", "<script>alert(1)</script>",
    "../../etc/passwd", "image:*", "idx:images", "FT.SEARCH", "$(reboot)", "`id`", ";",
    "1e309", "-1e309", "nan", "inf", "-inf", "+inf", "1e-05", "0x10", "1_000", "٣", "①",
    "9" * 400, "-0", "0.0000000000000000001", "24:00", "23:59:60", "-01:00", "06:00:00:00",
    "2026-02-30T00:00", "2026-11-26T06:00:00+99:00", "9999-12-31T23:59:59", "0001-01-01",
    "Europe/../../etc/passwd", "Etc/GMT+14", "America/New_York", "../UTC", "Ωmega", "🐦",
    "a" * 10_000, "x" * 65, "garden", "garden\x00", "Garden", "gar den", "-garden",
    "newest", "oldest", "brightest", "darkest", "NEWEST", "0", "1", "100", "101", "-5",
]
FIELDS = (
    "from", "to", "lux_min", "lux_max", "camera", "tod_from", "tod_to", "sort", "limit",
    "cursor", "tz", "since", "id", "ids", "bucket", "unknown",
)
_NUM = r"\(?(?:-inf|\+inf|-?[0-9]+(?:\.[0-9]+)?)"
_RANGE = rf"@(?:timestamp|lux|time_of_day):\[{_NUM} {_NUM}\]"
_CLAUSE = (
    rf"(?:{_RANGE}|@camera:\{{(?:\\.|[A-Za-z0-9_])+\}}|\({_RANGE} \| {_RANGE}\)"
    r"|-@(?:timestamp|lux|time_of_day):\[-inf \+inf\])"
)
QUERY_GRAMMAR = re.compile(rf"\*|{_CLAUSE}(?: {_CLAUSE})*")
RANGE_PARTS = re.compile(rf"@(timestamp|lux|time_of_day):\[({_NUM}) ({_NUM})\]")

hostile = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.integers(-10**12, 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.datetimes().map(lambda d: d.isoformat()),
)
_NOW = int(time.time())
_WELL_FORMED = {
    "from": st.one_of(
        st.integers(_NOW - 30 * 86400, _NOW).map(str),
        st.integers(int(EARLIEST), int(LATEST) - 1).map(str),  # anywhere in the valid range
    ),
    "to": st.one_of(
        st.integers(_NOW - 86400, _NOW + 86400).map(str),
        st.integers(int(EARLIEST), int(LATEST) - 1).map(str),
        st.datetimes(datetime(2026, 1, 1), datetime(2027, 1, 1)).map(
            lambda d: d.isoformat(timespec="minutes")
        ),
    ),
    "lux_min": st.floats(-10, 400).map(lambda x: f"{x:.3f}"),
    "lux_max": st.one_of(st.integers(0, 5000).map(str), st.floats(0, 1e6).map(repr)),
    "camera": st.one_of(
        st.sampled_from(["garden", "porch", "Garden", "a.b-c_d"]),
        st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True),
    ),
    "tod_from": st.times().map(lambda t: t.strftime("%H:%M")),
    "tod_to": st.times().map(lambda t: t.strftime("%H:%M:%S")),
    "sort": st.sampled_from(["newest", "oldest", "brightest", "darkest"]),
    "limit": st.integers(1, 100).map(str),
    "tz": st.sampled_from(["UTC", "Europe/Berlin", "Asia/Tokyo", "America/St_Johns",
                           "Asia/Kathmandu", "Pacific/Kiritimati", "Pacific/Niue",
                           "Australia/Lord_Howe"]),
    "bucket": st.sampled_from(["auto", "minute", "hour", "day", "week", "month", "year"]),
    "since": st.integers(0, _NOW).map(str),
}


def query_params(well_formed_share: int) -> st.SearchStrategy[dict[str, str]]:
    """Parameters where each known one is well formed `well_formed_share` times in one more."""
    return st.fixed_dictionaries(
        {},
        optional={
            name: st.one_of(*[_WELL_FORMED[name]] * well_formed_share, hostile)
            if name in _WELL_FORMED else hostile
            for name in FIELDS
        },
    )


params = query_params(2)


def _within(clause_lo: str, clause_hi: str, lo: float | None, hi: float | None) -> bool:
    low, high = float(clause_lo.lstrip("(")), float(clause_hi.lstrip("("))
    return (lo is None or low >= lo) and (hi is None or high <= hi)


def check_query(reported: str, filters: Filters, index_name: str) -> None:
    """Every command is ours: the index, a query in our grammar, ranges inside the filters."""
    bounds = {"timestamp": (filters.start, filters.end), "lux": (filters.lux_min, filters.lux_max)}
    for line in reported.splitlines():
        argv = shlex.split(line)
        if argv[0] == "FCALL_RO":  # the summary walk: our function, our summary's keys only
            keys = argv[3 : 3 + int(argv[2])]
            assert argv[1].startswith("picat_walk_") and len(keys) >= 3, line
            assert all(key.startswith(f"{index_name}:summary:") for key in keys), line
            continue
        assert argv[0] in ("FT.SEARCH", "FT.AGGREGATE") and argv[1] == index_name, line
        text = argv[2]
        assert QUERY_GRAMMAR.fullmatch(text), text
        cameras = re.findall(r"@camera:\{(?:\\.|[A-Za-z0-9_])+\}", text)
        expected = [] if filters.camera is None else [f"@camera:{{{escape_tag(filters.camera)}}}"]
        assert cameras == expected, (text, filters.camera)
        has_tod = "time_of_day:[" in text.replace("-@time_of_day:[-inf +inf]", "")
        assert has_tod == (filters.tod_from is not None or filters.tod_to is not None), text
        for name, lo, hi in RANGE_PARTS.findall(text):
            if name in bounds and not text.count(f"-@{name}:[-inf +inf]"):
                assert _within(lo, hi, *bounds[name]), (text, bounds[name])


@pytest.fixture
def fuzz_setup(secure_app, add_picture):
    pictures = [
        add_picture(i * 97.0, lux=float(i % 7) * 50, camera=("garden", "porch")[i % 2])
        for i in range(12)
    ]
    secure_app.config["TESTING"] = False  # a real 500 page, as in production
    clients = {"none": secure_app.test_client()}
    for role, password in (("curator", PASSWORD), ("viewer", READONLY_PASSWORD)):
        clients[role] = secure_app.test_client()
        log_in(clients[role], password)
    clients["token"] = secure_app.test_client()
    clients["token"].environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    tokens = {
        role: csrf_from(client.get("/login").get_data(as_text=True))
        for role, client in clients.items() if role != "token"
    }
    return secure_app, pictures, clients, tokens


@pytest.mark.slow
def test_hostile_requests_on_every_route(fuzz_setup, catalogue):
    app, pictures, clients, tokens = fuzz_setup
    rules = sorted(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"),
        key=lambda rule: rule.rule,
    )
    ids = st.one_of(
        st.sampled_from([p.pk for p in pictures]),
        st.sampled_from([p.pk for p in pictures]),
        st.sampled_from(["01ARZ3NDEKTSV4RRFFQ69G5FAV", "1681843615", "0", "99999999999999"]),
        st.sampled_from(HOSTILE), st.text(min_size=1, max_size=30),
    )
    tried = {"cases": 0, "api_queries": 0}
    started = time.monotonic()

    @settings(
        max_examples=ROUTE_EXAMPLES, deadline=None, derandomize=True, database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        rule=st.sampled_from(rules), image_id=ids, query=params,
        who=st.sampled_from(sorted(clients)), csrf=st.one_of(st.booleans(), hostile),
        htmx=st.booleans(),
    )
    def one_request(rule, image_id, query, who, csrf, htmx):
        tried["cases"] += 1
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<{argument}>", quote(image_id, safe=""))
        url = path + ("?" + urlencode(query) if query else "")
        headers = {"HX-Request": "true"} if htmx else {}
        client = clients[who]
        if "POST" in rule.methods and (len(rule.methods - {"OPTIONS"}) == 1 or csrf):
            form = {"csrf_token": csrf} if isinstance(csrf, str) else {}
            if csrf is True and who in tokens:
                form = {"csrf_token": tokens[who]}
            response = client.post(url, data=form, headers=headers)
        else:
            response = client.get(url, headers=headers)
        body = response.get_data().decode("utf-8", "replace")
        assert response.status_code < 500 or response.status_code == 503, (url, response.status)
        assert response.status_code != 503 or "unreachable" not in body, url
        assert "Traceback" not in body and 'File "' not in body, url
        assert "Content-Security-Policy" in response.headers, url
        if rule.rule == "/api/images" and response.status_code == 200:
            filters = parse_filters(query, parse_tz(query.get("tz")))
            check_query(response.get_json()["query"], filters, catalogue.index)
            tried["api_queries"] += 1

    one_request()
    elapsed = time.monotonic() - started
    print(f"\nfuzz: {tried['cases']} requests on {len(rules)} routes "
          f"({tried['api_queries']} JSON API queries checked) in {elapsed:.1f} s")
    assert tried["cases"] >= ROUTE_EXAMPLES // 2


@pytest.mark.slow
def test_api_queries_are_exactly_the_filters(fuzz_setup, catalogue):
    _, _, clients, _ = fuzz_setup
    client = clients["token"]
    checked = {"requests": 0, "queries": 0}

    @settings(max_examples=API_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(query=query_params(6), follow=st.booleans())
    def listing(query, follow):
        checked["requests"] += 1
        query.pop("cursor", None)
        response = client.get(f"/api/images?{urlencode(query)}")
        assert response.status_code in (200, 400), (query, response.status)
        if response.status_code == 400:
            assert set(response.get_json()) == {"error"}
            return
        page = response.get_json()
        filters = parse_filters(query, parse_tz(query.get("tz")))
        check_query(page["query"], filters, catalogue.index)
        checked["queries"] += 1
        if follow and page["next_cursor"]:
            more = client.get(f"/api/images?{urlencode({**query, 'cursor': page['next_cursor']})}")
            assert more.status_code == 200
            check_query(more.get_json()["query"], filters, catalogue.index)

    listing()
    print(f"\nfuzz: {checked['requests']} JSON API requests, "
          f"{checked['queries']} accepted and their queries checked")
    assert checked["queries"] >= API_EXAMPLES // 12


def test_edited_and_moved_cursors_are_a_400_or_a_page_after_that_position(fuzz_setup):
    """Cursors are readable positions, not signed tokens: an edited one is either
    malformed (400, naming the cursor) or another position in the same order, whose
    page then starts strictly after it."""
    _, _, clients, _ = fuzz_setup
    client = clients["token"]
    first = client.get("/api/images?limit=2&lux_min=0").get_json()
    cursor = first["next_cursor"]
    again = client.get(f"/api/images?limit=2&lux_min=0&cursor={cursor}")
    assert cursor and again.status_code == 200
    outcomes = {200: 0, 400: 0}

    @settings(max_examples=150, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(position=st.integers(0, len(cursor) - 1), replacement=st.characters(
        codec="ascii", categories=("L", "N", "P")))
    def tampered(position, replacement):
        forged = cursor[:position] + replacement + cursor[position + 1:]
        if forged == cursor:
            return
        query = urlencode({"limit": 2, "lux_min": 0, "cursor": forged})
        response = client.get(f"/api/images?{query}")
        assert response.status_code in (200, 400), forged
        outcomes[response.status_code] += 1
        if response.status_code == 400:
            assert response.get_json()["error"].startswith("cursor:")
            return
        at, pk = forged.split(",")
        for image in response.get_json()["images"]:
            assert (image["timestamp"], image["id"]) < (float(at), pk), forged

    tampered()
    assert outcomes[200] and outcomes[400]
    for same_order in ("limit=2&lux_min=1", "limit=2", "limit=2&lux_min=0&sort=oldest"):
        assert client.get(f"/api/images?{same_order}&cursor={cursor}").status_code == 200
    for other_order in ("limit=2&sort=brightest", "limit=2&sort=darkest&camera=garden"):
        moved = client.get(f"/api/images?{other_order}&cursor={cursor}")
        assert moved.status_code == 400, other_order
    for page in ("/", "/more"):
        reply = client.get(f"{page}?sort=brightest&cursor={cursor}",
                           headers={"HX-Request": "true"})
        assert reply.status_code == 400
    assert math.isfinite(len(cursor))
