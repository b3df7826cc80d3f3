"""The store: the only package that knows SQL."""

from leadhub.store.db import Database

__all__ = ["Database"]
