"""The GPIO trigger, driven through gpiozero's mock pin factory.

gpiozero's MockPin ignores `bounce`, so these tests use `LgpioDebouncePin`, a mock pin
whose debounce behaves as lgpio's does (lgPthAlerts.c): with both edges watched, as
gpiozero's DigitalInputDevice does, an edge is reported only once the level has held
for the debounce time and differs from the last reported level. A pulse shorter than
the debounce is dropped whole.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from gpiozero import Device
from gpiozero.pins.mock import MockFactory, MockPin

from picat.capture.durable import connect_single
from picat.capture.settings import GPIO_DEBOUNCE
from picat.capture.triggers import GpioTrigger
from picat.schema import Catalogue

from ..running import wait_for
from .helpers import keys_of, service_for

PIN = 17


class LgpioDebouncePin(MockPin):
    """A MockPin whose `bounce` acts like lgpio's debounce (stable-for-that-long)."""

    def __init__(self, factory: Any, info: Any) -> None:
        self._settle: threading.Timer | None = None
        super().__init__(factory, info)
        self._reported = self._state

    def _report(self, level: bool) -> None:
        if level == self._reported or self._state != level:
            return
        self._reported = level
        if self._edges in ("both", "rising" if level else "falling") and self._when_changed:
            self._call_when_changed()

    def _edge(self, level: bool) -> None:
        if not self._change_state(level):
            return
        if self._settle is not None:
            self._settle.cancel()  # another edge within the debounce: not stable yet
        if not self._bounce:
            self._report(level)
            return
        self._settle = threading.Timer(self._bounce, self._report, args=(level,))
        self._settle.daemon = True
        self._settle.start()

    def drive_high(self) -> None:
        self._edge(True)

    def drive_low(self) -> None:
        self._edge(False)


@pytest.fixture
def mock_pins() -> Iterator[MockFactory]:
    previous = Device.pin_factory
    Device.pin_factory = MockFactory(pin_class=LgpioDebouncePin)
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


def pulse(pin: MockPin, seconds: float) -> None:
    pin.drive_high()
    time.sleep(seconds)
    pin.drive_low()


def test_default_debounce_catches_a_20_ms_pulse(mock_pins: MockFactory) -> None:
    trigger = GpioTrigger(PIN, "rising", pull_up=False, debounce=GPIO_DEBOUNCE)
    pulse(mock_pins.pin(PIN), 0.02)
    assert fires(trigger)
    trigger.close()


def test_a_debounce_longer_than_the_pulse_drops_it_whole(mock_pins: MockFactory) -> None:
    trigger = GpioTrigger(PIN, "rising", pull_up=False, debounce=0.2)  # the old default
    pulse(mock_pins.pin(PIN), 0.02)
    assert not fires(trigger)
    pulse(mock_pins.pin(PIN), 0.3)  # a level held longer than the debounce counts
    assert fires(trigger)
    trigger.close()


def test_contact_bounce_makes_one_picture(mock_pins: MockFactory) -> None:
    trigger = GpioTrigger(PIN, "falling", pull_up=True, debounce=GPIO_DEBOUNCE)
    pin = mock_pins.pin(PIN)
    for _ in range(5):  # a button's contacts chatter for well under a millisecond here
        pin.drive_low()
        pin.drive_high()
    pin.drive_low()
    assert fires(trigger)
    assert not fires(trigger)
    trigger.close()


def test_a_busy_pin_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    lgpio_error = type("error", (Exception,), {"__module__": "lgpio"})

    class BusyFactory(MockFactory):
        def pin(self, spec: Any, **kwargs: Any) -> Any:
            raise lgpio_error("GPIO busy")

    previous = Device.pin_factory
    Device.pin_factory = BusyFactory()
    try:
        with pytest.raises(RuntimeError, match=r"GPIO pin 17 is busy.*gpioinfo"):
            GpioTrigger(PIN, "rising", pull_up=False, debounce=GPIO_DEBOUNCE)
    finally:
        Device.pin_factory.reset()
        Device.pin_factory = previous
