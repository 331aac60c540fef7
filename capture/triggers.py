"""What decides when to take a picture: a timer, a GPIO input, motion, or once.

Every trigger has the same two methods: `wait(stop)` blocks until the next picture
is due and returns True, or returns False once `stop` is set (or, for `once`, after
its one picture); `close()` releases what it holds. `kind` is what the stored
picture records in its `trigger` field.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Protocol

from picat.schema import Trigger as TriggerKind

from .frame import Camera
from .motion import MotionDetector

MOTION_POLL = 0.1
GPIO_POLL = 0.1


class Trigger(Protocol):
    kind: TriggerKind

    def wait(self, stop: threading.Event) -> bool: ...

    def close(self) -> None: ...


class IntervalTrigger:
    """Fires at once, then every `interval` seconds; a late capture does not cause a burst."""

    kind = TriggerKind.INTERVAL

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        if not 0 < interval < math.inf:
            raise ValueError("the capture interval must be a finite number of seconds above 0")
        self.interval = interval
        self.clock = clock
        self._next: float | None = None

    def wait(self, stop: threading.Event) -> bool:
        now = self.clock()
        due = now if self._next is None else self._next
        if stop.wait(max(0.0, due - now)) or stop.is_set():
            return False
        self._next = max(due + self.interval, self.clock())
        return True

    def close(self) -> None:
        """Nothing to release."""


class OnceTrigger:
    """`picat capture --once`: one picture, recorded as taken by hand."""

    kind = TriggerKind.MANUAL

    def __init__(self) -> None:
        self._fired = False

    def wait(self, stop: threading.Event) -> bool:
        if self._fired or stop.is_set():
            return False
        self._fired = True
        return True

    def close(self) -> None:
        """Nothing to release."""


class GpioTrigger:
    """A sensor or button on a GPIO pin, through gpiozero (any pin factory, the mock one too).

    `edge` is the pin's physical level change: `rising` (low to high), `falling` or
    `both`. Edges that arrive while a picture is being taken are merged into one.
    `debounce` becomes gpiozero's `bounce_time`, which the lgpio pin factory (the one
    that works on a Pi 5) hands to lgpio: a level counts only once it has held that
    long, so a pulse shorter than `debounce` is dropped entirely, not shortened.
    """

    kind = TriggerKind.SENSOR

    def __init__(self, pin: int, edge: str, pull_up: bool, debounce: float) -> None:
        try:
            from gpiozero import DigitalInputDevice, GPIOZeroError
        except ImportError as exc:
            raise RuntimeError(
                f"the GPIO trigger needs gpiozero ({exc}): on Raspberry Pi OS install "
                "python3-gpiozero and python3-lgpio with apt, or the [pi] extra"
            ) from exc
        self._fired = threading.Event()
        try:
            self._device = DigitalInputDevice(pin, pull_up=pull_up, bounce_time=debounce or None)
        except Exception as exc:
            # lgpio raises its own `lgpio.error`, not a GPIOZeroError, e.g. "GPIO busy".
            if not isinstance(exc, GPIOZeroError) and type(exc).__module__ != "lgpio":
                raise
            raise RuntimeError(_pin_problem(pin, exc)) from exc
        # With a pull-up the input reads active when the pin is low, so edges swap.
        on_rising, on_falling = (
            ("when_deactivated", "when_activated") if pull_up
            else ("when_activated", "when_deactivated")
        )
        if edge in ("rising", "both"):
            setattr(self._device, on_rising, self._fired.set)
        if edge in ("falling", "both"):
            setattr(self._device, on_falling, self._fired.set)

    def wait(self, stop: threading.Event) -> bool:
        while not stop.is_set():
            if self._fired.wait(GPIO_POLL):
                self._fired.clear()
                return not stop.is_set()
        return False

    def close(self) -> None:
        self._device.close()


def _pin_problem(pin: int, exc: Exception) -> str:
    """What to tell the user when a GPIO pin cannot be claimed."""
    if "busy" in str(exc).lower():
        return (
            f"GPIO pin {pin} is busy ({exc}): another process has claimed it, often a second "
            "`picat capture` or the service. `gpioinfo` names the holder (its consumer); stop "
            "it, or choose another GPIO_PIN"
        )
    return (
        f"GPIO pin {pin} cannot be used ({exc}). On a Pi, install python3-lgpio with apt and "
        "run where lgpio may write its notification pipe (LG_WD, a writable directory; the "
        "service sets it); on a machine without GPIO, try GPIOZERO_PIN_FACTORY=mock or "
        "another --trigger"
    )


class MotionTrigger:
    """Watches the camera's low-resolution stream about ten times a second."""

    kind = TriggerKind.MOTION

    def __init__(self, camera: Camera, detector: MotionDetector) -> None:
        self.camera = camera
        self.detector = detector

    def wait(self, stop: threading.Event) -> bool:
        while not stop.is_set():
            if self.detector.update(self.camera.preview()):
                return True
            stop.wait(MOTION_POLL)
        return False

    def close(self) -> None:
        """The camera belongs to the caller."""
