"""Kie's endpoint families: each has its own create path, status path and vocabulary."""

from __future__ import annotations

import enum


class ApiFamily(str, enum.Enum):
    """Which Kie API a model is reached through."""

    MARKET = "market"            # /api/v1/jobs/createTask + recordInfo (most models)
    VEO = "veo"                  # /api/v1/veo/generate + record-info
    SUNO = "suno"                # /api/v1/generate + generate/record-info
    MIDJOURNEY = "midjourney"    # /api/v1/mj/generate + mj/record-info
    GPT4O_IMAGE = "gpt4o_image"  # /api/v1/gpt4o-image/generate + record-info
    FLUX_KONTEXT = "flux_kontext"  # /api/v1/flux/kontext/generate + record-info
    RUNWAY = "runway"            # /api/v1/runway/generate + record-detail
    ALEPH = "aleph"              # /api/v1/aleph/generate + record-info


class MediaKind(str, enum.Enum):
    """What a generation produces; decides how results are shown and simulated."""

    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    TEXT = "text"
