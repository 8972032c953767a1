"""Personal data: sealed under per-subject data keys, found by blind indexes, erasable.

docs/design.md, "Personal data", has the design; `policy` says which values are sealed.
"""

from domain.privacy.keyring import ERASED, Keyring, is_sealed

__all__ = ["ERASED", "Keyring", "is_sealed"]
