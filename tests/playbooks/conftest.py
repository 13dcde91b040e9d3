from tests.broadcasts.conftest import ready

__all__ = ["ready"]
