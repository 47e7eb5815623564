"""Every model Atelier offers, as data. Add a model by adding one entry to a list here."""

from __future__ import annotations

from app.catalog.entries.audio import AUDIO_ENTRIES
from app.catalog.entries.edits import EDIT_ENTRIES
from app.catalog.entries.images import IMAGE_ENTRIES
from app.catalog.entries.videos import VIDEO_ENTRIES
from app.catalog.schema import CatalogEntry

ALL_ENTRIES: list[CatalogEntry] = [*IMAGE_ENTRIES, *VIDEO_ENTRIES, *AUDIO_ENTRIES, *EDIT_ENTRIES]
