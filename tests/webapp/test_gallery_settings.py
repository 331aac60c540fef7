"""The gallery's own settings are checked once, at start-up, with a message naming them."""

from __future__ import annotations

import pytest

from picat.cli import main
from picat.schema import Catalogue
from picat.webapp import bulk, timeline

from ..factories import make_app


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PICAT_BULK_BATCH", "0"), ("PICAT_BULK_BATCH", "10001"), ("PICAT_BULK_BATCH", "many"),
        ("PICAT_HEATMAP_DAYS", "63"), ("PICAT_HEATMAP_DAYS", "-1"), ("PICAT_HEATMAP_DAYS", "1.5"),
    ],
)
def test_a_bad_value_stops_the_gallery_naming_the_variable(
    monkeypatch, tmp_path, redis_url, catalogue: Catalogue, name, value
):
    monkeypatch.setenv(name, value)
    message = rf"{name} must be a whole number from 1 to \d+, got '{value}'"
    with pytest.raises(SystemExit, match=message):
        make_app(redis_url, catalogue, testing=False)
    monkeypatch.setenv("PICAT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:9/0")  # never reached
    with pytest.raises(SystemExit, match=message):
        main(["web", "--port", "1"])


def test_the_values_are_read_once(monkeypatch, redis_url, catalogue: Catalogue):
    monkeypatch.setenv("PICAT_BULK_BATCH", "4")
    monkeypatch.setenv("PICAT_HEATMAP_DAYS", " 3 ")
    app = make_app(redis_url, catalogue, testing=False)
    monkeypatch.setenv("PICAT_BULK_BATCH", "nonsense")
    monkeypatch.delenv("PICAT_HEATMAP_DAYS")
    with app.test_request_context():
        assert bulk.batch_size() == 4 and timeline.heatmap_days() == 3
    monkeypatch.delenv("PICAT_BULK_BATCH")
    with make_app(redis_url, catalogue, testing=False).test_request_context():
        assert bulk.batch_size() == 500 and timeline.heatmap_days() == 14
