"""Translate each family's status answer into one `TaskSnapshot`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from app.providers.kie.errors import KieMalformedResponseError
from app.providers.kie.families import ApiFamily
from app.providers.kie.normalize.gpt4o_image import normalize_gpt4o_image
from app.providers.kie.normalize.market import normalize_market
from app.providers.kie.normalize.runway import normalize_runway
from app.providers.kie.normalize.success_flag import (
    aleph_outputs,
    flux_kontext_outputs,
    midjourney_outputs,
    normalize_success_flag,
    veo_outputs,
)
from app.providers.kie.normalize.suno import normalize_suno
from app.providers.kie.types import TaskSnapshot


def _normalize_aleph(data: Mapping[str, Any]) -> TaskSnapshot:
    # Aleph's record-info is documented with successFlag and
    # response.resultVideoUrl; some pages show it in Runway's state vocabulary.
    if "state" in data and "successFlag" not in data:
        return normalize_runway(data)
    return normalize_success_flag(data, aleph_outputs)


NORMALIZERS: dict[ApiFamily, Callable[[Mapping[str, Any]], TaskSnapshot]] = {
    ApiFamily.MARKET: normalize_market,
    ApiFamily.VEO: lambda data: normalize_success_flag(data, veo_outputs),
    ApiFamily.SUNO: normalize_suno,
    ApiFamily.MIDJOURNEY: lambda data: normalize_success_flag(data, midjourney_outputs),
    ApiFamily.GPT4O_IMAGE: normalize_gpt4o_image,
    ApiFamily.FLUX_KONTEXT: lambda data: normalize_success_flag(data, flux_kontext_outputs),
    ApiFamily.RUNWAY: normalize_runway,
    ApiFamily.ALEPH: _normalize_aleph,
}


def normalize_task(family: ApiFamily, data: Any) -> TaskSnapshot:
    """The snapshot for a status query's `data`; raises when `data` is not an object."""
    if not isinstance(data, Mapping):
        raise KieMalformedResponseError(
            f"{family.value} status answer has no data object", body=data
        )
    return NORMALIZERS[family](data)


__all__ = ["NORMALIZERS", "normalize_task"]
