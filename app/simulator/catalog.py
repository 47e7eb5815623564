"""Model ids the simulator knows, with media kind, credit cost and realistic durations.

Data, not code: Kie's market list changes monthly, so a new id is one entry here.
Unknown ids get a profile guessed from their name (unless the config is strict).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.providers.kie.families import MediaKind


@dataclass(frozen=True)
class ModelProfile:
    kind: MediaKind
    cost: float  # credits charged per create
    # Range (seconds, before time_scale) of the generating stage, drawn uniformly.
    generating_seconds: tuple[float, float]
    outputs: int = 1  # how many result files a success carries


_IMAGE = (10.0, 40.0)
_VIDEO = (60.0, 240.0)

MARKET_MODELS: dict[str, ModelProfile] = {
    "google/imagen4-fast": ModelProfile(MediaKind.IMAGE, 4, (8, 20)),
    "google/imagen4": ModelProfile(MediaKind.IMAGE, 8, (10, 30)),
    "google/imagen4-ultra": ModelProfile(MediaKind.IMAGE, 12, (15, 40)),
    "google/nano-banana": ModelProfile(MediaKind.IMAGE, 4, (8, 25)),
    "google/nano-banana-edit": ModelProfile(MediaKind.IMAGE, 4, (8, 25)),
    "nano-banana-pro": ModelProfile(MediaKind.IMAGE, 18, (15, 40)),
    "nano-banana-2": ModelProfile(MediaKind.IMAGE, 8, (10, 30)),
    "sora-2-text-to-video": ModelProfile(MediaKind.VIDEO, 30, (120, 300)),
    "sora-2-image-to-video": ModelProfile(MediaKind.VIDEO, 30, (120, 300)),
    "sora-2-pro-text-to-video": ModelProfile(MediaKind.VIDEO, 150, (180, 300)),
    "sora-2-pro-image-to-video": ModelProfile(MediaKind.VIDEO, 150, (180, 300)),
    "kling/v2-1-pro": ModelProfile(MediaKind.VIDEO, 50, (90, 240)),
    "kling-2.6/text-to-video": ModelProfile(MediaKind.VIDEO, 55, (90, 240)),
    "kling-2.6/image-to-video": ModelProfile(MediaKind.VIDEO, 55, (90, 240)),
    "bytedance/seedance-2": ModelProfile(MediaKind.VIDEO, 40, (60, 180)),
    "bytedance/seedream-v4-text-to-image": ModelProfile(MediaKind.IMAGE, 5, (10, 30)),
    "bytedance/seedream-v4-edit": ModelProfile(MediaKind.IMAGE, 5, (10, 30)),
    "wan/2-5-text-to-video": ModelProfile(MediaKind.VIDEO, 60, (90, 240)),
    "hailuo/02-text-to-video-pro": ModelProfile(MediaKind.VIDEO, 45, (90, 240)),
    "qwen/text-to-image": ModelProfile(MediaKind.IMAGE, 4, (10, 30)),
    "flux-2/pro-text-to-image": ModelProfile(MediaKind.IMAGE, 5, (10, 30)),
    "elevenlabs/text-to-speech-turbo-2-5": ModelProfile(MediaKind.AUDIO, 6, (5, 20)),
    "elevenlabs/sound-effect-v2": ModelProfile(MediaKind.AUDIO, 2, (5, 20)),
    "recraft/remove-background": ModelProfile(MediaKind.IMAGE, 1, (5, 15)),
    "ideogram/v3-reframe": ModelProfile(MediaKind.IMAGE, 7, (10, 30)),
    "topaz/image-upscale": ModelProfile(MediaKind.IMAGE, 10, (15, 40)),
}

# Models addressed through their own API family (the body's `model`, or a fixed name).
VEO_MODELS: dict[str, ModelProfile] = {
    "veo3": ModelProfile(MediaKind.VIDEO, 250, (90, 180)),
    "veo3_fast": ModelProfile(MediaKind.VIDEO, 60, (60, 120)),
}
SUNO_MODELS: dict[str, ModelProfile] = {
    name: ModelProfile(MediaKind.AUDIO, 12, (60, 120), outputs=2)
    for name in ("V3_5", "V4", "V4_5", "V4_5PLUS", "V5")
}
MIDJOURNEY_TASK_TYPES: dict[str, ModelProfile] = {
    "mj_txt2img": ModelProfile(MediaKind.IMAGE, 8, (30, 90), outputs=4),
    "mj_img2img": ModelProfile(MediaKind.IMAGE, 8, (30, 90), outputs=4),
    "mj_style_reference": ModelProfile(MediaKind.IMAGE, 8, (30, 90), outputs=4),
    "mj_omni_reference": ModelProfile(MediaKind.IMAGE, 16, (30, 90), outputs=4),
    "mj_video": ModelProfile(MediaKind.VIDEO, 60, (60, 150), outputs=4),
    "mj_video_hd": ModelProfile(MediaKind.VIDEO, 180, (90, 180), outputs=4),
}
GPT4O_IMAGE = ModelProfile(MediaKind.IMAGE, 6, (30, 90))
FLUX_KONTEXT_MODELS: dict[str, ModelProfile] = {
    "flux-kontext-pro": ModelProfile(MediaKind.IMAGE, 5, (10, 30)),
    "flux-kontext-max": ModelProfile(MediaKind.IMAGE, 10, (15, 40)),
}
RUNWAY = ModelProfile(MediaKind.VIDEO, 12, (60, 150))
RUNWAY_ALEPH = ModelProfile(MediaKind.VIDEO, 110, (90, 180))

_VIDEO_HINTS = ("video", "veo", "sora", "kling", "wan", "hailuo", "seedance", "runway")
_AUDIO_HINTS = ("suno", "tts", "speech", "sound", "audio", "music")


def guess_profile(model_id: str) -> ModelProfile:
    """A plausible profile for an id nobody listed, from words in its name."""
    lowered = model_id.lower()
    if any(hint in lowered for hint in _VIDEO_HINTS):
        return ModelProfile(MediaKind.VIDEO, 40, _VIDEO)
    if any(hint in lowered for hint in _AUDIO_HINTS):
        return ModelProfile(MediaKind.AUDIO, 6, (5, 30))
    return ModelProfile(MediaKind.IMAGE, 5, _IMAGE)
