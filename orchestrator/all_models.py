"""Import every module that defines tables, so Base.metadata is complete (Alembic, tests)."""

from orchestrator import models  # noqa: F401
