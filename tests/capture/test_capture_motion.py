"""The motion trigger fires on a moving object and not on sensor noise."""

from __future__ import annotations

import threading

import numpy as np

from picat.capture.motion import MotionDetector
from picat.capture.simulated import VISIT_LENGTH, VISIT_PERIOD, SimulatedCamera, bird_position
from picat.capture.triggers import MotionTrigger

WIDTH, HEIGHT = 320, 240


def noisy_background(rng: np.random.Generator, sigma: float = 6.0) -> np.ndarray:
    gradient = np.linspace(60, 180, WIDTH)[None, :].repeat(HEIGHT, axis=0)
    return np.clip(gradient + rng.normal(0, sigma, gradient.shape), 0, 255).astype(np.uint8)


def with_square(frame: np.ndarray, x: int, y: int, side: int = 24) -> np.ndarray:
    frame = frame.copy()
    frame[y : y + side, x : x + side] = 15
    return frame


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_sensor_noise_alone_never_fires() -> None:
    rng = np.random.default_rng(7)
    detector = MotionDetector(threshold=1.0, cooldown=0)
    assert not any(detector.update(noisy_background(rng, sigma=8.0)) for _ in range(200))


def test_a_moving_square_fires() -> None:
    rng = np.random.default_rng(8)
    detector = MotionDetector(threshold=1.0, cooldown=0)
    detector.update(with_square(noisy_background(rng), 40, 100))
    assert detector.update(with_square(noisy_background(rng), 70, 100))


def test_a_still_object_does_not_fire() -> None:
    rng = np.random.default_rng(9)
    detector = MotionDetector(threshold=1.0, cooldown=0)
    fired = [detector.update(with_square(noisy_background(rng), 40, 100)) for _ in range(30)]
    assert not any(fired)


def test_cooldown_keeps_one_visitor_to_one_picture() -> None:
    rng = np.random.default_rng(10)
    clock = FakeClock()
    detector = MotionDetector(threshold=1.0, cooldown=5.0, clock=clock)
    fired = []
    for step in range(40):  # a square crossing the frame at 10 frames per second
        clock.now = step * 0.1
        fired.append(detector.update(with_square(noisy_background(rng), 5 + step * 7, 100)))
    assert sum(fired) == 1
    clock.now = 10.0
    assert detector.update(with_square(noisy_background(rng), 20, 20))


def test_motion_trigger_sees_the_simulated_bird() -> None:
    seed = 3
    start = 1_800_000_000.0
    steps = np.arange(start, start + VISIT_PERIOD, 0.1)
    arrival = next(float(t) for t in steps if bird_position(float(t), seed))
    quiet = [arrival - 0.5, arrival - 0.4, arrival - 0.3]
    assert all(bird_position(t, seed) is None for t in quiet)
    mid_flight = arrival + VISIT_LENGTH / 2
    ticks = iter([*quiet, mid_flight])
    shown: list[float] = []

    def clock() -> float:
        shown.append(next(ticks))
        return shown[-1]

    camera = SimulatedCamera((WIDTH, HEIGHT), 320, 80, seed=seed, clock=clock)
    trigger = MotionTrigger(camera, MotionDetector(threshold=1.0, cooldown=0))
    assert trigger.wait(threading.Event())
    assert shown[-1] == mid_flight
