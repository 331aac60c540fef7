"""The GPIO trigger, driven through gpiozero's mock pin factory."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from picat.capture.durable import connect_single
from picat.capture.triggers import GpioTrigger
from picat.schema import Catalogue

from .helpers import keys_of, service_for, wait_for

PIN = 17


@pytest.fixture
def mock_pins() -> Iterator[MockFactory]:
    previous = Device.pin_factory
    Device.pin_factory = MockFactory()
    yield Device.pin_factory
    Device.pin_factory.reset()
    Device.pin_factory = previous


def fires(trigger: GpioTrigger) -> bool:
    """Whether the trigger has fired (without blocking for long)."""
    stop = threading.Event()
    timer = threading.Timer(0.3, stop.set)
    timer.start()
    try:
        return trigger.wait(stop)
    finally:
        timer.cancel()


def test_rising_edge_fires_and_falling_does_not(mock_pins: MockFactory) -> None:
    trigger = GpioTrigger(PIN, "rising", pull_up=False, debounce=0)
    pin = mock_pins.pin(PIN)
    pin.drive_high()
    assert fires(trigger)
    pin.drive_low()
    assert not fires(trigger)
    trigger.close()


def test_pull_up_button_fires_when_pressed_to_ground(mock_pins: MockFactory) -> None:
    trigger = GpioTrigger(PIN, "falling", pull_up=True, debounce=0)
    pin = mock_pins.pin(PIN)
    assert not fires(trigger)
    pin.drive_low()
    assert fires(trigger)
    pin.drive_high()
    assert not fires(trigger)
    trigger.close()


def test_both_edges(mock_pins: MockFactory) -> None:
    trigger = GpioTrigger(PIN, "both", pull_up=False, debounce=0)
    pin = mock_pins.pin(PIN)
    pin.drive_high()
    assert fires(trigger)
    pin.drive_low()
    assert fires(trigger)
    trigger.close()


def test_sensor_pulse_stores_a_picture_marked_sensor(
    mock_pins: MockFactory, redis_url: str, r: redis.Redis, catalogue: Catalogue, tmp_path: Path
) -> None:
    trigger = GpioTrigger(PIN, "rising", pull_up=False, debounce=0.05)
    service = service_for(connect_single(redis_url), catalogue, tmp_path / "spool", trigger)
    stop = threading.Event()
    running = threading.Thread(target=service.run, args=(stop,))
    running.start()
    try:
        pin = mock_pins.pin(PIN)
        pin.drive_high()
        wait_for(lambda: keys_of(r, catalogue))
        pin.drive_low()
    finally:
        stop.set()
        running.join(10)
    (key,) = keys_of(r, catalogue)
    assert r.hget(key, "trigger") == b"sensor"
    assert r.hget(key, "camera") == b"test-cam"
