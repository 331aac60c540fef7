"""Pictures in, an H.264 MP4 out, one frame at a time.

PyAV's wheels carry FFmpeg with libx264, so this needs no system package. The
video is what every browser plays: H.264 in MP4, `yuv420p`, with the index at the
front (`movflags=+faststart`) so playback starts before the download ends. Each
picture is decoded, fitted to the video's size (letterboxed in black or cropped
to fill, the same for every frame, so pictures of other sizes or cameras stay
steady), optionally captioned, handed to the encoder and dropped: memory holds
one picture and the encoder's own short look-ahead, whatever the frame count.
Scaling and the conversion to YUV are FFmpeg's (swscale, one pass); Pillow only
decodes, crops and draws the caption.
"""

from __future__ import annotations

import contextlib
import functools
import io
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import TracebackType

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps

DEFAULT_FPS = 24
MAX_FPS = 60


class Size(StrEnum):
    HD = "720p"
    FULL_HD = "1080p"
    SOURCE = "source"


class Fit(StrEnum):
    LETTERBOX = "letterbox"
    CROP = "crop"


SIZES = {Size.HD: (1280, 720), Size.FULL_HD: (1920, 1080)}


@dataclass(frozen=True)
class VideoFormat:
    """How the video looks: frame rate, size, how pictures fit it, and a date caption."""

    fps: int = DEFAULT_FPS
    size: Size = Size.FULL_HD
    fit: Fit = Fit.LETTERBOX
    caption: bool = False

    def dimensions(self, first_width: int, first_height: int) -> tuple[int, int]:
        """The frame size: a named size, or the first picture's own, made even (yuv420p
        halves the colour planes, so odd sizes cannot be encoded)."""
        if self.size is Size.SOURCE:
            return max(2, first_width - first_width % 2), max(2, first_height - first_height % 2)
        return SIZES[self.size]


class TooLarge(RuntimeError):
    """The video grew past the size limit; the partial file is the caller's to remove."""


class Stopped(RuntimeError):
    """The caller asked to stop (a cancel)."""


@functools.lru_cache(maxsize=8)
def _font(height: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=max(12, height // 28))


class Encoder:
    """An MP4 being written to `path`; `add` one picture at a time, then `close`."""

    def __init__(self, path: Path, video: VideoFormat, *, max_bytes: int) -> None:
        self.path = path
        self.video = video
        self.max_bytes = max_bytes
        self.frames = 0
        self.bytes = 0
        self._container = av.open(
            str(path), "w", format="mp4", options={"movflags": "+faststart"}
        )
        self._stream: av.VideoStream | None = None
        self._size: tuple[int, int] = (0, 0)

    def _open_stream(self, picture: Image.Image) -> None:
        self._size = self.video.dimensions(*picture.size)
        stream = self._container.add_stream("libx264", rate=self.video.fps)
        stream.width, stream.height = self._size
        stream.pix_fmt = "yuv420p"
        # veryfast: several times the speed of the default preset for a few per cent
        # more bytes; crf 23 is x264's own default quality. Two threads and a short
        # look-ahead bound the frames x264 holds (each 3 MB at 1080p), so one job uses
        # at most two cores and a flat, small amount of memory.
        stream.options = {
            "preset": "veryfast", "crf": "23", "x264-params": "threads=2:rc-lookahead=5"
        }
        self._stream = stream

    def _cropped(self, picture: Image.Image) -> Image.Image:
        """The middle of `picture` in the video's shape (cutting is cheap; scaling is not)."""
        width, height = picture.size
        video_width, video_height = self._size
        if width * video_height > height * video_width:  # wider than the video
            keep = round(height * video_width / video_height)
            left = (width - keep) // 2
            return picture.crop((left, 0, left + keep, height))
        keep = round(width * video_height / video_width)
        top = (height - keep) // 2
        return picture.crop((0, top, width, top + keep))

    def _frame(self, picture: Image.Image) -> av.VideoFrame:
        """`picture` scaled into the video's size by FFmpeg's swscale (scaling and the
        conversion to YUV in one pass, several times faster than Pillow's), with black
        bars where its shape differs (a letterbox)."""
        width, height = picture.size
        video_width, video_height = self._size
        scale = min(video_width / width, video_height / height)
        inner_width = min(video_width, max(2, round(width * scale) // 2 * 2))
        inner_height = min(video_height, max(2, round(height * scale) // 2 * 2))
        scaled = av.VideoFrame.from_image(picture).reformat(
            width=inner_width, height=inner_height, format="yuv420p", interpolation="BILINEAR"
        )
        if (inner_width, inner_height) == self._size:
            return scaled
        frame = av.VideoFrame(video_width, video_height, "yuv420p")
        left = (video_width - inner_width) // 4 * 2
        top = (video_height - inner_height) // 4 * 2
        for plane, source, step, black in zip(
            frame.planes, scaled.planes, (1, 2, 2), (16, 128, 128), strict=True
        ):
            target = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
            target[:] = black  # limited-range YUV black
            rows = np.frombuffer(source, np.uint8).reshape(-1, source.line_size)
            target[top // step : (top + inner_height) // step,
                   left // step : (left + inner_width) // step] = (
                rows[: inner_height // step, : inner_width // step]
            )
        return frame

    @staticmethod
    def _caption(picture: Image.Image, text: str) -> None:
        """White on black at the bottom left, sized to the picture (it is scaled with it)."""
        height = picture.size[1]
        font = _font(height)
        draw = ImageDraw.Draw(picture)
        margin = max(4, height // 60)
        _, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        x, y = margin * 2, height - (bottom - top) - margin * 3
        draw.rectangle(
            (x - margin, y - margin + top, x + right + margin, y + bottom + margin), fill=(0, 0, 0)
        )
        draw.text((x, y), text, font=font, fill=(255, 255, 255))

    def decode(self, data: bytes) -> Image.Image:
        """A picture (JPEG or PNG bytes), upright, cropped to the video's shape when
        cropping; raises OSError or ValueError for bytes that are no picture. The first
        picture sets the video's size."""
        with Image.open(io.BytesIO(data)) as opened:
            size = self._size if self._stream is not None else self.video.dimensions(*opened.size)
            opened.draft("RGB", size)  # JPEG: decode at a reduced scale when that fits
            picture = ImageOps.exif_transpose(opened).convert("RGB")
        if self._stream is None:
            self._open_stream(picture)
        if self.video.fit is Fit.CROP:
            picture = self._cropped(picture)
        return picture

    def write(self, picture: Image.Image, caption: str | None = None) -> None:
        """Encode a picture from `decode` as the next frame."""
        if self.video.caption and caption:
            self._caption(picture, caption)
        self._mux(self._stream.encode(self._frame(picture)))
        self.frames += 1

    def add(self, data: bytes, caption: str | None = None) -> None:
        """Decode and encode one picture as the next frame."""
        self.write(self.decode(data), caption)

    def _mux(self, packets: list[av.Packet]) -> None:
        for packet in packets:
            self.bytes += packet.size
            self._container.mux(packet)
        if self.bytes > self.max_bytes:
            raise TooLarge(f"the video passed {self.max_bytes // 1_000_000:,} MB")

    def close(self) -> None:
        """Flush the encoder and write the index; the file is then complete."""
        if self._stream is not None:
            self._mux(self._stream.encode(None))
        self._container.close()

    def abort(self) -> None:
        """Close without finishing (the caller removes the file)."""
        with contextlib.suppress(Exception):  # an unfinished container may refuse to close
            self._container.close()

    def __enter__(self) -> Encoder:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()

