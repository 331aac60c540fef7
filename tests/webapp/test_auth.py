"""Login, sessions, read-only sessions, the API token, CSRF on every state change."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import redis

from picat.passwords import hash_password
from picat.schema import Catalogue
from picat.webapp.auth import Auth
from picat.webapp.throttle import ACCOUNT_MAX_FAILURES, MAX_FAILURES, WINDOW, LoginThrottle

from ..factories import make_app
from ..forms import csrf_from, log_in
from .credentials import PASSWORD, READONLY_PASSWORD, TOKEN

BEARER = {"Authorization": f"Bearer {TOKEN}"}


def _post_routes(app, image_id: str) -> list[str]:
    """Every route that changes something (any blueprint, present or future)."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            continue
        if rule.endpoint in ("auth.login", "auth.logout"):
            continue
        values = {arg: image_id if arg == "image_id" else "x" for arg in rule.arguments}
        urls.append(rule.build(values)[1])
    return urls


def test_nothing_but_login_static_and_health_without_a_login(secure_app, add_picture):
    image = add_picture()
    client = secure_app.test_client()
    page = client.get("/?lux_min=1")
    assert page.status_code == 303
    assert page.headers["Location"] == "/login?next=%2F%3Flux_min%3D1"
    assert client.get(f"/images/{image.pk}/thumbnail").status_code == 303
    api = client.get("/api/images")
    assert api.status_code == 401 and "error" in api.get_json()
    assert api.headers["WWW-Authenticate"].startswith("Bearer")
    fragment = client.get("/results", headers={"HX-Request": "true"})
    assert fragment.status_code == 401 and fragment.headers["HX-Redirect"] == "/login"
    assert client.get("/login").status_code == 200
    assert client.get("/static/picat.js").status_code == 200
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.get_json() == {"status": "ok", "redis": "ok", "index_state": "ready"}
    assert "documents" in client.get("/healthz", headers=BEARER).get_json()


def test_no_state_change_without_a_curator_session_and_csrf_token(
    secure_app, add_picture, r: redis.Redis, catalogue: Catalogue
):
    image = add_picture()
    routes = _post_routes(secure_app, image.pk)
    assert f"/images/{image.pk}/delete" in routes and f"/images/{image.pk}/keep" in routes

    anonymous = secure_app.test_client()
    anonymous_csrf = csrf_from(anonymous.get("/login").get_data(as_text=True))
    viewer = secure_app.test_client()
    assert log_in(viewer, READONLY_PASSWORD).status_code == 303
    viewer_csrf = csrf_from(viewer.get("/login").get_data(as_text=True))
    curator = secure_app.test_client()
    assert log_in(curator, PASSWORD).status_code == 303
    attempts = [
        (anonymous, {}, {}),
        (anonymous, {"csrf_token": anonymous_csrf}, {}),
        (anonymous, {}, BEARER),
        (anonymous, {"csrf_token": anonymous_csrf}, BEARER),
        (viewer, {"csrf_token": viewer_csrf}, {}),
        (viewer, {}, {"X-CSRF-Token": viewer_csrf}),
        (curator, {}, {}),
        (curator, {"csrf_token": "forged" * 8}, {}),
        (curator, {"csrf_token": anonymous_csrf}, {}),  # another session's token
    ]
    for url in routes:
        for client, form, headers in attempts:
            response = client.post(url, data=form, headers=headers)
            assert response.status_code in (401, 403), (url, form, headers, response.status_code)
    assert r.exists(catalogue.key(image.pk)) and r.ttl(catalogue.key(image.pk)) > 0

    page = curator.get(f"/images/{image.pk}").get_data(as_text=True)
    response = curator.post(f"/images/{image.pk}/delete", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 303
    assert not r.exists(catalogue.key(image.pk))


def test_a_read_only_session_sees_pictures_but_no_buttons(secure_app, add_picture):
    image = add_picture()
    viewer = secure_app.test_client()
    log_in(viewer, READONLY_PASSWORD)
    page = viewer.get(f"/images/{image.pk}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Delete" not in html and "Keep forever" not in html and "Log out" in html
    assert viewer.get("/").status_code == 200
    assert viewer.get(f"/images/{image.pk}/image").status_code == 200
    denied = viewer.post(f"/images/{image.pk}/delete", data={"csrf_token": csrf_from(html)})
    assert denied.status_code == 403 and b"read-only" in denied.data


def test_the_api_token_reads_but_a_wrong_one_is_refused(secure_app, add_picture):
    image = add_picture()
    client = secure_app.test_client()
    listing = client.get("/api/images", headers=BEARER)
    assert listing.status_code == 200 and listing.get_json()["images"][0]["id"] == image.pk
    assert client.get(f"/images/{image.pk}/thumbnail", headers=BEARER).status_code == 200
    for header in (f"Bearer {TOKEN}x", "Bearer ", f"bearer {TOKEN[:-1]}", "Bearer"):
        wrong = client.get("/api/images", headers={"Authorization": header})
        assert wrong.status_code == 401, header
        assert "invalid_token" in wrong.headers["WWW-Authenticate"]
    assert client.get("/healthz", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_other_authorization_schemes_are_ignored(secure_app):
    """Behind a basic-auth proxy every request carries `Authorization: Basic …`."""
    client = secure_app.test_client()
    basic = {"Authorization": "Basic dXNlcjpwcm94eS1wYXNzd29yZA=="}
    client.environ_base["HTTP_AUTHORIZATION"] = basic["Authorization"]
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").status_code == 200
    for header in (basic["Authorization"], f"Basic {TOKEN}", TOKEN):
        api = client.get("/api/images", headers={"Authorization": header})
        assert api.status_code == 401 and "invalid_token" not in api.headers["WWW-Authenticate"]
    assert log_in(client, PASSWORD).status_code == 303
    assert client.get("/").status_code == 200
    assert client.get("/api/images").status_code == 200


def test_wrong_passwords_are_throttled_and_next_stays_on_site(secure_app):
    client = secure_app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    for _ in range(5):
        wrong = client.post("/login", data={"csrf_token": token, "password": "guess-guess"})
        assert wrong.status_code == 401 and b"not right" in wrong.data
    locked = client.post("/login", data={"csrf_token": token, "password": PASSWORD})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0

    for target, expected in (
        ("//evil.example/", "/"), ("https://evil.example/", "/"), ("/\\evil", "/"),
        ("/images?x=1", "/images?x=1"),
    ):
        other = secure_app.test_client()
        other.environ_base["REMOTE_ADDR"] = "192.0.2.7"  # not the locked-out address
        token = csrf_from(other.get("/login").get_data(as_text=True))
        response = other.post(
            "/login", data={"csrf_token": token, "password": PASSWORD, "next": target}
        )
        assert response.headers["Location"] == expected, target


def test_parallel_guesses_cannot_pass_the_throttle_together(secure_app):
    """Each guess is counted before scrypt runs, so 20 at once get 5 tries, not 20."""
    clients = [secure_app.test_client() for _ in range(20)]
    tokens = [csrf_from(client.get("/login").get_data(as_text=True)) for client in clients]
    start = threading.Barrier(len(clients))

    def guess(index: int) -> int:
        start.wait()
        form = {"csrf_token": tokens[index], "password": f"guess number {index}"}
        return clients[index].post("/login", data=form).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        statuses = sorted(pool.map(guess, range(len(clients))))
    assert statuses == [401] * MAX_FAILURES + [429] * (len(clients) - MAX_FAILURES)


def test_a_flood_of_addresses_gets_few_guesses_in_all(r, catalogue):
    """Per client and per account: 1,000 addresses share the account's 20 guesses."""
    now = [0.0]
    throttle = LoginThrottle(r, catalogue.auth_prefix + "flood:", clock=lambda: now[0])
    for _ in range(MAX_FAILURES):
        assert throttle.attempt("203.0.113.9")[0] == 0
    assert throttle.attempt("203.0.113.9")[0] > 0
    allowed = sum(
        throttle.attempt(f"10.0.{flood >> 8}.{flood & 255}")[0] == 0 for flood in range(1000)
    )
    assert allowed == ACCOUNT_MAX_FAILURES - MAX_FAILURES
    assert throttle.attempt("203.0.113.9")[0] > 0
    now[0] += WINDOW + 1
    assert throttle.attempt("203.0.113.9")[0] == 0  # the window passes


def test_the_read_only_password_does_not_reset_curator_guessing(secure_app):
    """It used to: 4 guesses, a viewer login, 4 more... about 437 guesses a minute."""
    client = secure_app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    statuses = []
    for round_ in range(3):
        for _ in range(MAX_FAILURES - 1):
            form = {"csrf_token": token, "password": f"guess {round_}"}
            statuses.append(client.post("/login", data=form).status_code)
        log_in(client, READONLY_PASSWORD)
        token = csrf_from(client.get("/login").get_data(as_text=True))
    assert statuses[: MAX_FAILURES - 1] == [401] * (MAX_FAILURES - 1)
    assert statuses.count(401) == MAX_FAILURES and 429 in statuses


def test_login_without_csrf_is_refused(secure_app):
    client = secure_app.test_client()
    assert client.post("/login", data={"password": PASSWORD}).status_code == 403


def test_a_non_ascii_csrf_token_is_a_403_not_a_500(secure_app, add_picture):
    image = add_picture()
    client = secure_app.test_client()
    log_in(client, PASSWORD)
    url = f"/images/{image.pk}/delete"
    assert client.post(url, data={"csrf_token": "Ωmega🐦"}).status_code == 403
    assert client.post(url, headers={"X-CSRF-Token": "caf\xe9"}).status_code == 403
    assert client.post("/login", data={"csrf_token": "é", "password": PASSWORD}).status_code == 403


def test_changing_the_password_ends_every_session(redis_url, catalogue, secure_app):
    client = secure_app.test_client()
    log_in(client, PASSWORD)
    cookie = client.get_cookie("picat_session").value
    assert client.get("/").status_code == 200
    changed = make_app(
        redis_url, catalogue, auth_settings=Auth(hash_password("a brand new password")),
    ).test_client()
    changed.set_cookie("picat_session", cookie)
    assert changed.get("/").status_code == 303


def test_logout_ends_the_session(secure_app):
    client = secure_app.test_client()
    log_in(client, PASSWORD)
    copied = client.get_cookie("picat_session").value
    html = client.get("/").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": csrf_from(html)}).status_code == 303
    assert client.get("/").status_code == 303
    thief = secure_app.test_client()
    thief.set_cookie("picat_session", copied)  # copied before the logout
    assert thief.get("/").status_code == 303


def test_session_cookie_flags_and_secure_behind_https(redis_url, catalogue, auth):
    def cookie_after_login(trust_proxy: int, **request: object) -> str:
        app = make_app(redis_url, catalogue, auth_settings=auth, trust_proxy=trust_proxy)
        client = app.test_client()
        token = csrf_from(client.get("/login", **request).get_data(as_text=True))
        response = client.post(
            "/login", data={"csrf_token": token, "password": PASSWORD}, **request
        )
        assert response.status_code == 303
        return response.headers["Set-Cookie"]

    plain = cookie_after_login(0)
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    assert "Secure" in cookie_after_login(0, base_url="https://gallery.example")
    forwarded = {"headers": {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.4"}}
    assert "Secure" in cookie_after_login(1, **forwarded)
    assert "Secure" not in cookie_after_login(0, **forwarded)  # proxy headers not trusted
