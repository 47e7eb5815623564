"""The endpoint families the simulator serves, one module each."""

from __future__ import annotations

from app.providers.kie.families import ApiFamily
from app.simulator.families.base import Family
from app.simulator.families.flux_kontext import FluxKontextFamily
from app.simulator.families.gpt4o_image import Gpt4oImageFamily
from app.simulator.families.market import MarketFamily
from app.simulator.families.midjourney import MidjourneyFamily
from app.simulator.families.runway import AlephFamily, RunwayFamily
from app.simulator.families.suno import SunoFamily
from app.simulator.families.veo import VeoFamily

FAMILIES: dict[ApiFamily, Family] = {
    family.api_family: family
    for family in (
        MarketFamily(),
        VeoFamily(),
        SunoFamily(),
        MidjourneyFamily(),
        Gpt4oImageFamily(),
        FluxKontextFamily(),
        RunwayFamily(),
        AlephFamily(),
    )
}

__all__ = ["FAMILIES", "Family"]
