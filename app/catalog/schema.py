"""The shape of a catalog entry: pure data that the UI, the validator and the engine read.

One `CatalogEntry` describes one model the user can pick: its form fields, the
cross-field rules Kie enforces, which Kie endpoint family serves it, and how long it
usually takes. Nothing here knows about a particular model; the entries live in
`app/catalog/entries/`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from app.providers.kie.families import ApiFamily, MediaKind

# The picker groups, in the order the UI shows them.
Group = Literal["image", "video", "music", "speech", "edit"]
GROUPS: tuple[Group, ...] = ("image", "video", "music", "speech", "edit")

FieldKind = Literal["text", "textarea", "select", "number", "integer", "boolean", "file_urls"]
FileAccept = Literal["image", "video", "audio"]

# A JSON scalar: what choices, defaults and rule conditions are made of.
Scalar = str | int | float | bool

# "when these params hold one of these values" (every key must match).
Condition = dict[str, list[Scalar]]


def condition_holds(condition: Condition | None, params: dict[str, Any]) -> bool:
    """True when every named param currently holds one of the listed values."""
    if not condition:
        return True
    return all(_is_one_of(params.get(name), values) for name, values in condition.items())


def _is_one_of(value: Any, values: list[Scalar]) -> bool:
    # `True == 1` in Python: compare types too, so a boolean never matches a number.
    return any(type(value) is type(candidate) and value == candidate for candidate in values)


class FieldSpec(BaseModel):
    """One form field; also the source of the generated pydantic validator for it."""

    model_config = ConfigDict(frozen=True)

    name: str                      # param name, as the user and the error messages see it
    label: str
    help: str = ""
    kind: FieldKind
    choices: list[Scalar] | None = None
    min: int | float | None = None
    max: int | float | None = None
    step: int | float | None = None
    default: Any = None
    required: bool = False
    max_length: int | None = None  # characters for text; files for file_urls
    min_length: int | None = None
    # file_urls only: what the uploader accepts, and whether Kie wants one URL or a list.
    accept: FileAccept | None = None
    multiple: bool = False
    # Where the value goes in the provider body (defaults to `name`).
    wire_name: str | None = None
    # This field's value is the provider model (market: top-level "model"; other
    # families keep it in the body under wire_name as well).
    provider_model: bool = False
    # Only sent to Kie while this condition holds (e.g. a Veo image list in text mode).
    send_when: Condition | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def input_file(self) -> bool:
        """The UI renders an uploader for this field."""
        return self.kind == "file_urls"

    @property
    def wire(self) -> str:
        return self.wire_name or self.name

    @model_validator(mode="after")
    def _coherent(self) -> FieldSpec:
        if self.kind == "select" and not self.choices:
            raise ValueError(f"select field {self.name} needs choices")
        if self.kind == "file_urls" and self.accept is None:
            raise ValueError(f"file field {self.name} needs accept")
        if self.default is not None and self.required:
            raise ValueError(f"field {self.name} is required and has a default; pick one")
        return self


class Rule(BaseModel):
    """A cross-field constraint Kie enforces, e.g. "image-to-video needs an image".

    While `when` holds, `field` must satisfy every constraint set here; `message` is
    what the person reads (prefixed with the field name).
    """

    model_config = ConfigDict(frozen=True)

    when: Condition
    field: str
    message: str
    required: bool = False
    forbidden: bool = False
    choices: list[Scalar] | None = None
    min_items: int | None = None
    max_items: int | None = None
    max_length: int | None = None


class MediaOverride(BaseModel):
    """Some entries produce another media kind in some modes (Midjourney video)."""

    model_config = ConfigDict(frozen=True)

    when: Condition
    media_kind: MediaKind


class DurationPrior(BaseModel):
    """How long a generation usually takes, before any measurements exist."""

    model_config = ConfigDict(frozen=True)

    median_s: float = Field(gt=0)
    p95_s: float = Field(gt=0)
    # The fast end (about the 5th percentile) when it is known; otherwise the engine
    # assumes a share of the median. A fast end set too late makes every quick task
    # wait for its first status query, so set it where the spread is known.
    fast_s: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> DurationPrior:
        if self.p95_s < self.median_s:
            raise ValueError("p95 must not be below the median")
        if self.fast_s is not None and self.fast_s > self.median_s:
            raise ValueError("the fast end must not be above the median")
        return self


class CatalogEntry(BaseModel):
    """One model the user can pick, with everything needed to validate and submit it."""

    model_config = ConfigDict(frozen=True)

    api_type: str                  # stable id, stored on every task
    service: str                   # provider-side service name, e.g. "VEO3"
    display_name: str
    description: str
    group: Group
    media_kind: MediaKind
    family: ApiFamily
    # Fixed provider model id; None when a field with provider_model=True picks it.
    model_id: str | None = None
    fields: list[FieldSpec]
    rules: list[Rule] = Field(default_factory=list)
    media_overrides: list[MediaOverride] = Field(default_factory=list)
    duration: DurationPrior
    prompt_field: str | None = "prompt"   # the text that history search indexes
    seed_field: str | None = None          # what a "seed walk" varies

    @computed_field  # type: ignore[prop-decorator]
    @property
    def required_inputs(self) -> list[str]:
        """Input-file fields this entry always needs ("needs an input image")."""
        return [spec.name for spec in self.fields if spec.input_file and spec.required]

    def defaults(self) -> dict[str, Any]:
        """The params an empty form starts with."""
        return {spec.name: spec.default for spec in self.fields if spec.default is not None}

    def field(self, name: str) -> FieldSpec | None:
        return next((spec for spec in self.fields if spec.name == name), None)

    @property
    def provider_model_field(self) -> FieldSpec | None:
        return next((spec for spec in self.fields if spec.provider_model), None)

    def media_kind_for(self, params: dict[str, Any]) -> MediaKind:
        for override in self.media_overrides:
            if condition_holds(override.when, params):
                return override.media_kind
        return self.media_kind

    @model_validator(mode="after")
    def _coherent(self) -> CatalogEntry:
        names = [spec.name for spec in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.api_type}: duplicate field names")
        if "api_type" in names:
            raise ValueError(f"{self.api_type}: 'api_type' is reserved")
        model_fields = [spec for spec in self.fields if spec.provider_model]
        if len(model_fields) > 1:
            raise ValueError(f"{self.api_type}: at most one provider_model field")
        if (self.model_id is None) == (not model_fields):
            raise ValueError(f"{self.api_type}: give exactly one of model_id or a provider_model field")
        referenced = {rule.field for rule in self.rules}
        for rule in self.rules:
            referenced.update(rule.when)
        for spec in self.fields:
            referenced.update(spec.send_when or {})
        for override in self.media_overrides:
            referenced.update(override.when)
        for extra in (self.prompt_field, self.seed_field):
            if extra is not None:
                referenced.add(extra)
        unknown = referenced - set(names)
        if unknown:
            raise ValueError(f"{self.api_type}: rules name unknown fields {sorted(unknown)}")
        return self
