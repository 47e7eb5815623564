"""Any JSON-ish input gives a ValidatedRequest or a CatalogValidationError, nothing else."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.catalog import CATALOG, CatalogValidationError, FieldSpec, ValidatedRequest, validate_request
from tests.catalog.cases import CASES, IMG

FIELD_NAMES = sorted({spec.name for entry in CATALOG.values() for spec in entry.fields} | {"api_type"})
CHOICES = sorted(
    {str(choice) for entry in CATALOG.values() for spec in entry.fields for choice in spec.choices or []}
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(CHOICES),
    st.just(IMG),
    st.just("x" * 20_001),
    st.just("9" * 5_000),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
params_strategy = st.one_of(
    st.dictionaries(st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=10)), json_values, max_size=8),
    json_values,
)
api_types = st.one_of(st.sampled_from(sorted(CATALOG)), json_values)
services = st.one_of(st.none(), st.sampled_from(sorted({e.service for e in CATALOG.values()})), json_values)


def _check(api_type: Any, params: Any, service: Any) -> None:
    try:
        result = validate_request(api_type, params, service)
    except CatalogValidationError as refusal:
        assert refusal.errors
        for error in refusal.errors:
            assert isinstance(error.field, str)
            assert error.message.startswith(f"{error.field}:")
        return
    assert isinstance(result, ValidatedRequest)
    json.dumps(result.body)
    assert validate_request(api_type, result.params).body == result.body


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(api_type=api_types, params=params_strategy, service=services)
def test_random_json_only_ever_validates_or_is_refused(api_type: Any, params: Any, service: Any):
    _check(api_type, params, service)


def _good_values(spec: FieldSpec) -> st.SearchStrategy[Any]:
    """Values this field alone would accept (rules across fields may still refuse)."""
    if spec.choices:
        return st.sampled_from(spec.choices)
    if spec.kind == "integer":
        return st.integers(min_value=int(spec.min), max_value=int(spec.max))
    if spec.kind == "number":
        return st.floats(min_value=spec.min, max_value=spec.max)
    if spec.kind == "boolean":
        return st.booleans()
    if spec.input_file:
        return st.lists(st.just(IMG), min_size=1, max_size=spec.max_length) if spec.multiple else st.just(IMG)
    return st.text(min_size=1, max_size=spec.max_length).filter(str.strip)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_plausible_params_per_entry(data: st.DataObject):
    """Mostly-right params (a known-good request, a few fields changed) reach rules and body."""
    case = data.draw(st.sampled_from(CASES))
    params = dict(case.params)
    for spec in CATALOG[case.api_type].fields:
        change = data.draw(st.sampled_from(["keep", "keep", "good", "junk", "drop"]))
        if change == "good":
            params[spec.name] = data.draw(_good_values(spec))
        elif change == "junk":
            params[spec.name] = data.draw(json_values)
        elif change == "drop":
            params.pop(spec.name, None)
    _check(case.api_type, params, None)


def test_deeply_nested_junk_is_refused_not_crashed():
    nested: Any = "leaf"
    for _ in range(5_000):
        nested = [nested]
    for api_type, entry in CATALOG.items():
        for spec in entry.fields:
            try:
                validate_request(api_type, {spec.name: nested})
            except CatalogValidationError as refusal:
                assert spec.name in refusal.fields
