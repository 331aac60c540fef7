"""The encoder alone: pictures of another shape are letterboxed or cropped, every frame alike."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from picat.timelapse.encode import Encoder, Fit, Size, TooLarge, VideoFormat

from ..factories import jpeg


def _frames(path: Path):
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


@pytest.mark.parametrize("fit", [Fit.LETTERBOX, Fit.CROP])
def test_other_shapes_are_fitted_the_same_way(tmp_path: Path, fit: Fit):
    out = tmp_path / "v.mp4"
    with Encoder(out, VideoFormat(fps=4, size=Size.SOURCE, fit=fit), max_bytes=10**9) as enc:
        enc.add(jpeg((200, 200, 200), (65, 49)))  # odd: the video is 64x48
        enc.add(jpeg((200, 200, 200), (128, 48)))  # twice as wide as high
    first, wide = _frames(out)
    assert first.shape == wide.shape == (48, 64, 3)
    top_band = wide[:6].mean()
    if fit is Fit.LETTERBOX:
        assert top_band < 30 and wide[20:28].mean() > 170  # black bars above and below
    else:
        assert top_band > 170  # filled: the sides were cut instead


def test_the_size_limit_stops_the_encoder(tmp_path: Path):
    with pytest.raises(TooLarge), Encoder(tmp_path / "v.mp4", VideoFormat(size=Size.SOURCE),
                                          max_bytes=1) as enc:
        for n in range(60):
            enc.add(jpeg((n * 4, 0, 0)))
