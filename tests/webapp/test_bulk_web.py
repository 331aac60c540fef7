"""Bulk routes: CSRF and the curator role like single keep/delete, kept pictures spared, zips."""

from __future__ import annotations

import io
import re
import zipfile

import redis

from picat.passwords import hash_password
from picat.schema import Catalogue
from picat.webapp.auth import Auth

from ..factories import make_app
from ..forms import csrf_from, log_in


def _token(client) -> str:
    html = client.get("/").get_data(as_text=True)
    return csrf_from(html)


def _left(r: redis.Redis, catalogue: Catalogue) -> set[str]:
    return {catalogue.id_from_key(key) for key in r.scan_iter(match=catalogue.prefix + "*")}


def test_delete_and_keep_selected_need_csrf_and_spare_kept(client, add_picture, r, catalogue):
    kept = add_picture(0, expires_at=None)
    plain = [add_picture(60 * i) for i in range(1, 4)]
    ids = [kept.pk, plain[0].pk, plain[1].pk]
    assert client.post("/bulk/delete", data={"id": ids}).status_code == 403
    token = _token(client)

    response = client.post("/bulk/delete?lux_min=1", data={"id": ids, "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/?lux_min=1"
    assert _left(r, catalogue) == {kept.pk, plain[2].pk}
    flash = client.get("/").get_data(as_text=True)
    assert "Deleted 2 pictures. 1 picture kept forever left alone" in flash

    client.post("/bulk/keep", data={"id": [plain[2].pk], "csrf_token": token})
    assert r.ttl(catalogue.key(plain[2].pk)) == -1
    client.post(
        "/bulk/delete", data={"id": [kept.pk, plain[2].pk], "include_kept": "1",
                              "csrf_token": token},
    )
    assert _left(r, catalogue) == set()


def test_bad_selections_are_400(client, add_picture):
    add_picture()
    token = _token(client)
    for data, word in (
        ({"id": ["../../etc"]}, "not a picture id"),
        ({"id": ["01KAVB4X70B9VY6TD15MABS0YE"] * 2001}, "at most"),
    ):
        response = client.post("/bulk/delete", data={**data, "csrf_token": token},
                               headers={"HX-Request": "true"})
        assert response.status_code in (400, 413)
        if response.status_code == 400:
            assert word in response.get_data(as_text=True)
    step = client.post("/bulk/step", data={"action": "explode", "csrf_token": token})
    assert step.status_code == 400
    assert client.get("/bulk/zip").status_code == 400


def test_all_matching_runs_step_by_step_without_javascript(client, add_picture, r, catalogue):
    client.application.config["PICAT_BULK_BATCH"] = 4  # read from the environment at start-up
    for i in range(10):
        add_picture(60 * i, lux=500.0)
    dark = add_picture(900, lux=1.0)
    token = _token(client)
    page = client.post("/bulk/keep?lux_min=100", data={"all": "1", "csrf_token": token})
    html = page.get_data(as_text=True)
    assert "Keeping all matching pictures" in html and "10 in all" in html
    steps = 0
    while 'id="bulk-progress" class="bulk-progress done"' not in html:
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">',
                                 html.split('id="bulk-progress"')[1]))
        html = client.post("/bulk/step", data=fields).get_data(as_text=True)
        steps += 1
    assert steps == 3  # 4 + 4 + 2, and the third reaches the end
    assert "Kept 10 pictures." in html
    assert r.ttl(catalogue.key(dark.pk)) > 0
    assert sum(r.ttl(key) == -1 for key in r.scan_iter(match=catalogue.prefix + "*")) == 10


def test_zip_of_selected_and_of_all_matching(client, add_picture):
    made = [add_picture(i * 0.5, lux=float(i)) for i in range(130)]
    selected = client.get("/bulk/zip", query_string={"id": [made[0].pk, made[1].pk]})
    assert selected.status_code == 200 and selected.mimetype == "application/zip"
    assert selected.headers["Content-Disposition"].startswith('attachment; filename="pictures-')
    with zipfile.ZipFile(io.BytesIO(selected.get_data())) as archive:
        names = archive.namelist()
    assert len(names) == 2 and all(name.endswith("_garden.jpg") for name in names)

    everything = client.get("/bulk/zip?all=1&lux_min=5")  # 125 pictures: two keyset pages
    with zipfile.ZipFile(io.BytesIO(everything.get_data())) as archive:
        names = archive.namelist()
        assert archive.testzip() is None
    assert len(names) == len(set(names)) == 125


def test_read_only_session_can_download_but_not_curate(redis_url, catalogue, add_picture, r):
    image = add_picture()
    app = make_app(
        redis_url, catalogue,
        auth_settings=Auth(hash_password("curate pictures"), hash_password("only look at them")),
    )
    client = app.test_client()
    log_in(client, "only look at them")
    html = client.get("/").get_data(as_text=True)
    assert "Download zip" in html and "include kept" not in html
    token = csrf_from(html)
    refused = client.post("/bulk/delete", data={"id": [image.pk], "csrf_token": token})
    assert refused.status_code == 403
    assert client.post("/bulk/keep", data={"all": "1", "csrf_token": token}).status_code == 403
    assert client.get(f"/bulk/zip?id={image.pk}").status_code == 200
    assert _left(r, catalogue) == {image.pk}


HX = {"HX-Request": "true"}


def test_the_bulk_bar_counts_what_the_page_counts(client, add_picture):
    for i in range(12):
        add_picture(600 * i, lux=float(i * 10), expires_at=None if i % 4 == 0 else 4e9)
    for query in ("", "lux_min=30", "lux_min=30&lux_max=70", "lux_min=500", "camera=porch",
                  "expiring=24h"):
        page = client.get(f"/count?{query}", headers=HX).get_data(as_text=True)
        shown = int(re.search(r">([0-9,]+) picture", page).group(1).replace(",", ""))
        bar = client.get(f"/bulk/count?{query}", headers=HX).get_data(as_text=True)
        assert int(bar.replace(",", "")) == shown, query
