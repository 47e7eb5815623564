"""Short constructors for `FieldSpec`, so an entry reads like a form description."""

from __future__ import annotations

from app.catalog.schema import Condition, FieldSpec, FileAccept, Scalar

# Kie's seeds are 32-bit signed where a range is documented at all.
SEED_MAX = 2_147_483_647


def prompt(
    max_length: int,
    *,
    name: str = "prompt",
    label: str = "Prompt",
    help: str = "Describe what you want to see.",
    required: bool = True,
    min_length: int | None = None,
    wire_name: str | None = None,
) -> FieldSpec:
    return FieldSpec(
        name=name, label=label, help=help, kind="textarea", required=required,
        max_length=max_length, min_length=min_length, wire_name=wire_name,
    )


def negative_prompt(max_length: int, *, name: str = "negative_prompt") -> FieldSpec:
    return FieldSpec(
        name=name, label="Negative prompt", kind="textarea", max_length=max_length,
        help="What to keep out of the result.",
    )


def text(
    name: str,
    label: str,
    *,
    max_length: int,
    help: str = "",
    default: str | None = None,
    required: bool = False,
    multiline: bool = False,
    send_when: Condition | None = None,
) -> FieldSpec:
    return FieldSpec(
        name=name, label=label, help=help, kind="textarea" if multiline else "text",
        max_length=max_length, default=default, required=required, send_when=send_when,
    )


def select(
    name: str,
    label: str,
    choices: list[Scalar],
    *,
    default: Scalar | None = None,
    help: str = "",
    required: bool = False,
    provider_model: bool = False,
    send_when: Condition | None = None,
) -> FieldSpec:
    return FieldSpec(
        name=name, label=label, help=help, kind="select", choices=list(choices),
        default=default, required=required, provider_model=provider_model, send_when=send_when,
    )


def integer(
    name: str,
    label: str,
    *,
    min: int,
    max: int,
    default: int | None = None,
    step: int = 1,
    help: str = "",
    send_when: Condition | None = None,
) -> FieldSpec:
    return FieldSpec(
        name=name, label=label, help=help, kind="integer", min=min, max=max, step=step,
        default=default, send_when=send_when,
    )


def number(
    name: str,
    label: str,
    *,
    min: float,
    max: float,
    default: float | None = None,
    step: float = 0.1,
    help: str = "",
) -> FieldSpec:
    return FieldSpec(
        name=name, label=label, help=help, kind="number", min=min, max=max, step=step,
        default=default,
    )


def boolean(name: str, label: str, *, default: bool = False, help: str = "") -> FieldSpec:
    return FieldSpec(name=name, label=label, help=help, kind="boolean", default=default)


def files(
    name: str,
    label: str,
    *,
    accept: FileAccept = "image",
    max_items: int = 1,
    multiple: bool = True,
    required: bool = False,
    help: str = "",
    send_when: Condition | None = None,
) -> FieldSpec:
    """Input file URLs; `multiple=False` means Kie takes one URL string, not a list."""
    return FieldSpec(
        name=name, label=label, help=help, kind="file_urls", accept=accept,
        multiple=multiple, max_length=max_items, min_length=1 if required else None,
        required=required, send_when=send_when,
    )


def seed(name: str = "seed", *, min: int = 0, max: int = SEED_MAX, help: str = "") -> FieldSpec:
    return FieldSpec(
        name=name, label="Seed", kind="integer", min=min, max=max, step=1,
        help=help or "Same seed and settings give a similar result; leave empty for random.",
    )

