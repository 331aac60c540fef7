"""Timeline and selection in headless Chromium: drag to filter, shift-click 30 and delete them."""

from __future__ import annotations

import os
import re
from urllib.parse import parse_qs, urlsplit

from . import test_browser as harness

expect = harness.expect
page = harness.page
pytestmark = harness.pytestmark

SHOTS = os.environ.get("PICAT_TEST_SCREENSHOTS")  # a folder: save what the tests saw


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def _bar_centre(page, index: int) -> tuple[float, float]:
    box = page.locator("#timeline a.bar .hit").nth(index).bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.8


def test_drag_across_the_timeline_filters_grid_and_url(page, add_picture):
    for i in range(48):
        add_picture(i * 1800, lux=float(10 + i * 20))  # every 30 minutes for a day
    page.goto(page.base_url + "/")
    bars = page.locator("#timeline a.bar")
    expect(bars.first).to_be_attached()
    hours = bars.count()
    assert hours in (24, 25)  # hour buckets in the viewer's zone (Tokyo): 23.5 hours of pictures
    counts = [
        int(re.search(r": (\d+) picture", bars.nth(i).locator("title").text_content()).group(1))
        for i in range(hours)
    ]
    labels = [bars.nth(i).locator("title").text_content() for i in (3, 7)]
    _shot(page, "timeline-before.png")

    page.mouse.move(*_bar_centre(page, 3))
    page.mouse.down()
    page.mouse.move(*_bar_centre(page, 5), steps=4)
    page.mouse.move(*_bar_centre(page, 7), steps=4)
    page.mouse.up()

    page.wait_for_url(re.compile(r".*[?&]to="))
    expected = sum(counts[3:8])
    expect(page.locator("#count")).to_have_text(f"{expected} pictures match")
    expect(page.locator("#grid .card")).to_have_count(expected)
    query = parse_qs(urlsplit(page.url).query)
    assert query["tz"] == ["Asia/Tokyo"]
    assert query["from"][0].endswith(":00") and query["to"][0].endswith(":59:59.999")
    assert query["from"][0][-5:] in labels[0] and query["to"][0][11:13] in labels[1]
    # The timeline now shows the chosen range, and the form holds it for the next change.
    expect(page.locator("#timeline a.bar")).to_have_count(5)
    assert page.input_value("#filters input[name=from]") == query["from"][0]
    _shot(page, "timeline-after.png")


def test_shift_click_30_pictures_and_delete_exactly_those(page, add_picture, r, catalogue):
    made = [add_picture(i * 60) for i in range(40)]
    page.goto(page.base_url + "/?limit=50")
    boxes = page.locator("#grid .card .pick input")
    expect(boxes).to_have_count(40)
    boxes.nth(5).click()
    boxes.nth(34).click(modifiers=["Shift"])
    expect(page.locator("[data-selected-count]")).to_have_text("30 pictures selected")
    chosen = [
        page.locator("#grid .card").nth(i).get_attribute("id").removeprefix("card-")
        for i in range(5, 35)
    ]
    _shot(page, "selection.png")

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#bulk button.danger").click()
    expect(page.locator(".flash")).to_have_text("Deleted 30 pictures.")
    expect(page.locator("#grid .card")).to_have_count(10)
    left = {catalogue.id_from_key(key) for key in r.scan_iter(match=catalogue.prefix + "*")}
    assert left == {image.pk for image in made} - set(chosen)
    assert len(set(chosen)) == 30


def test_delete_all_matching_in_batches_spares_kept(page, add_picture, r, catalogue, app):
    app.config["PICAT_BULK_BATCH"] = 7  # the server reads it from the environment at start-up
    kept = {add_picture(i * 60, expires_at=None).pk for i in range(3)}
    for i in range(3, 30):
        add_picture(i * 60, lux=500.0)
    other = add_picture(3000, lux=1.0)
    page.goto(page.base_url + "/?lux_min=100")
    expect(page.locator(".bulk-total")).to_have_text("30")  # 3 of them kept forever
    page.locator("[data-select-all]").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#bulk button.danger").click()
    done = page.locator("#bulk-progress.done")
    expect(done).to_contain_text("Deleted 27 pictures.")
    left = {catalogue.id_from_key(key) for key in r.scan_iter(match=catalogue.prefix + "*")}
    assert left == kept | {other.pk}


def test_heat_map_cell_sets_date_and_time_of_day(page, add_picture):
    for i in range(12):
        add_picture(i * 1200)  # three an hour for four hours
    page.goto(page.base_url + "/")
    cell = page.locator("#profile a.cell").first
    title = cell.locator("title").text_content()
    count = int(re.search(r": (\d+) picture", title).group(1))
    hour = re.search(r", (\d\d):00 to", title).group(1)
    cell.click()
    page.wait_for_url(re.compile(r".*tod_from="))
    expect(page.locator("#grid .card")).to_have_count(count)
    assert page.input_value("#filters input[name=tod_from]") == f"{hour}:00"
    assert parse_qs(urlsplit(page.url).query)["tod_from"] == [f"{hour}:00"]
