"""The API tests' app: `build_api` on a fresh SQLite database, engine off."""

from __future__ import annotations

import pytest

from tests.api.support import api_app_for


@pytest.fixture(scope="module")
def api_app(tmp_path_factory):
    with api_app_for(tmp_path_factory.mktemp("api")) as app:
        yield app
