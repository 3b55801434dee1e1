"""Fixtures of the add-on tests."""

from tests.engine.requests.conftest import overseerr

__all__ = ["overseerr"]
