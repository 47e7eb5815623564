"""Real result files made locally: PNG images, WAV songs and short H.264 MP4 clips.

Everything is deterministic from a seed and rendered lazily on first download, then
kept on disk, so creates stay fast and repeated downloads cost nothing. Video is
encoded by the ffmpeg binary shipped inside the `imageio-ffmpeg` wheel; only
`VIDEO_VARIANTS` distinct clips exist, each encoded at most once per machine.
"""

from __future__ import annotations

import math
import os
import shutil
import struct
import subprocess
import tempfile
import textwrap
import threading
import wave
import zlib
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

AUDIO_SECONDS = 4.0
AUDIO_RATE = 22_050
VIDEO_VARIANTS = 4
VIDEO_SIZE = (320, 180)
VIDEO_FPS = 12
VIDEO_SECONDS = 2
# Shared by every simulator in this machine: clips depend only on the variant number.
CLIP_CACHE_DIR = Path(tempfile.gettempdir()) / "kie-sim-clips-v1"

_ASPECTS = {
    "16:9": (768, 432),
    "9:16": (432, 768),
    "1:1": (640, 640),
    "4:3": (704, 528),
    "3:4": (528, 704),
    "3:2": (720, 480),
    "2:3": (480, 720),
    "21:9": (840, 360),
}
_file_locks: dict[Path, threading.Lock] = {}
_file_locks_guard = threading.Lock()


class MediaUnavailable(RuntimeError):
    """A kind of media cannot be produced on this machine (no ffmpeg)."""


def seed_of(*parts: str) -> int:
    return zlib.crc32("/".join(parts).encode())


def _palette(seed: int) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    def color(shift: int) -> tuple[int, int, int]:
        value = (seed >> shift) & 0xFFFFFF
        return (64 + (value & 0x7F), 64 + ((value >> 8) & 0x7F), 64 + ((value >> 16) & 0x7F))

    return color(0), color(7)


def _gradient(size: tuple[int, int], seed: int, phase: float = 0.0) -> Image.Image:
    """Diagonal gradient between two seed colours; `phase` slides it (for animation)."""
    width, height = size
    top, bottom = _palette(seed)
    # Rotate a square ramp that covers the frame's diagonal, then crop the middle:
    # far faster than per-pixel drawing and leaves no empty corners.
    side = int(math.hypot(width, height)) + 2
    ramp = Image.linear_gradient("L").resize((side, side)).rotate(-35 + phase * 70)
    left, upper = (side - width) // 2, (side - height) // 2
    ramp = ramp.crop((left, upper, left + width, upper + height))
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), ramp)


def render_png(prompt: str, seed: int, aspect: str | None = None) -> bytes:
    """An image of the prompt's words on a gradient, the same for the same seed."""
    size = _ASPECTS.get(aspect or "", (768, 512))
    image = _gradient(size, seed)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(18, size[0] // 28))
    text = textwrap.fill(prompt.strip() or "(no prompt)", width=max(16, size[0] // 20))
    lines = text.splitlines()[:8]
    box = draw.multiline_textbbox((0, 0), "\n".join(lines), font=font)
    x = (size[0] - (box[2] - box[0])) // 2
    y = (size[1] - (box[3] - box[1])) // 2
    draw.rectangle((x - 16, y - 12, x + box[2] - box[0] + 16, y + box[3] - box[1] + 16), fill=(0, 0, 0))
    draw.multiline_text((x, y), "\n".join(lines), font=font, fill=(255, 255, 255))
    draw.text(
        (8, size[1] - 24),
        f"Kie simulator #{seed % 10_000:04d}",
        font=ImageFont.load_default(size=14),
        fill=(255, 255, 255),
    )
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def render_wav(seed: int, seconds: float = AUDIO_SECONDS) -> bytes:
    """A few seconds of a seed-chosen chord arpeggio, 16-bit mono."""
    root = 196.0 * (2 ** ((seed % 12) / 12))
    intervals = (1.0, 1.26, 1.5, 2.0)  # a major chord and its octave
    frames = int(AUDIO_RATE * seconds)
    note_length = AUDIO_RATE // 4
    samples = bytearray()
    for i in range(frames):
        note = intervals[(i // note_length + seed) % len(intervals)]
        envelope = math.exp(-3.0 * (i % note_length) / note_length)
        value = 0.35 * envelope * math.sin(2 * math.pi * root * note * i / AUDIO_RATE)
        value += 0.1 * math.sin(2 * math.pi * root / 2 * i / AUDIO_RATE)
        samples += struct.pack("<h", int(max(-1.0, min(1.0, value)) * 32767))
    buffer = BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(AUDIO_RATE)
        out.writeframes(bytes(samples))
    return buffer.getvalue()


def ffmpeg_path() -> str:
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        found = shutil.which("ffmpeg")
        if found:
            return found
    raise MediaUnavailable("no ffmpeg: install imageio-ffmpeg to serve simulated videos")


def _clip_frames(variant: int) -> bytes:
    """Raw RGB frames: a sliding gradient with a ball bouncing across it."""
    width, height = VIDEO_SIZE
    count = VIDEO_FPS * VIDEO_SECONDS
    seed = seed_of("clip", str(variant))
    raw = bytearray()
    for frame in range(count):
        t = frame / count
        image = _gradient(VIDEO_SIZE, seed, phase=t)
        draw = ImageDraw.Draw(image)
        cx = int(20 + (width - 40) * t)
        cy = int(height / 2 + (height / 3) * math.sin(2 * math.pi * t * 2 + variant))
        draw.ellipse((cx - 14, cy - 14, cx + 14, cy + 14), fill=(255, 255, 255))
        draw.text((8, 8), f"sim clip {variant}", fill=(255, 255, 255))
        raw += image.tobytes()
    return bytes(raw)


def encode_clip(variant: int, destination: Path) -> None:
    """Encode clip `variant` as browser-playable MP4 (H.264, yuv420p, moov first)."""
    command = [
        ffmpeg_path(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{VIDEO_SIZE[0]}x{VIDEO_SIZE[1]}",
        "-r",
        str(VIDEO_FPS),
        "-i",
        "-",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-pix_fmt",
        "yuv420p",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        str(destination),
    ]
    subprocess.run(command, input=_clip_frames(variant), check=True, capture_output=True, timeout=60)


def _lock_for(path: Path) -> threading.Lock:
    with _file_locks_guard:
        return _file_locks.setdefault(path, threading.Lock())


def cached_file(path: Path, produce: Callable[[Path], None]) -> Path:
    """`path`, produced once (atomically: a half-written file is never served)."""
    if path.exists():
        return path
    with _lock_for(path):
        if path.exists():
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
        os.close(handle)
        try:
            produce(Path(temporary))
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
    return path


def clip_path(variant: int) -> Path:
    variant %= VIDEO_VARIANTS
    return cached_file(CLIP_CACHE_DIR / f"clip-{variant}.mp4", lambda out: encode_clip(variant, out))


def media_file(cache_dir: Path, name: str, prompt: str, seed: int, aspect: str | None) -> Path:
    """The cached file for a result named `name` (its extension picks the kind)."""
    extension = name.rsplit(".", 1)[-1].lower()
    if extension == "mp4":
        return clip_path(seed)
    if extension == "png":
        return cached_file(cache_dir / name, lambda out: out.write_bytes(render_png(prompt, seed, aspect)))
    if extension == "wav":
        return cached_file(cache_dir / name, lambda out: out.write_bytes(render_wav(seed)))
    raise FileNotFoundError(name)


MEDIA_TYPES = {"png": "image/png", "wav": "audio/wav", "mp4": "video/mp4"}
