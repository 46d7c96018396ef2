"""A workspace holding the shop (tests/predict/shop.py), shared by the tests of a module."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import pytest

from opencdp.admin import Admin
from opencdp.config import load_settings
from opencdp.workspace import Workspace
from tests.predict import shop


@cache
def shop_data(customers: int = 1500) -> shop.Shop:
    return shop.build(customers)


@pytest.fixture(scope="module")
def shop_admin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Admin]:
    settings = load_settings(env={}, data_dir=tmp_path_factory.mktemp("shop") / "data")
    with Workspace(settings) as ws:
        ws.write(lambda con: shop.load(con, shop_data()))
        yield Admin(ws)


AS_OF = shop.NOW.isoformat()
