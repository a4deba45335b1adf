"""The files the contract suite ships with: the effective document and the Schemathesis config.

``schemathesis.toml`` lives in this package. ``segments.json`` is the project's effective document
``openapi/segments.json``, copied into the wheel at build time (``[tool.hatch.build.targets.wheel
.force-include]``), so a wheel always ships the document it was built from and there is no second
copy in the repository to fall out of step. In a checkout (an editable install) the package has no
copy and the repository's own file is used.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["config_path", "document_path"]

_HERE = Path(__file__).resolve().parent
_SHIPPED = _HERE / "segments.json"
_CHECKOUT = _HERE.parents[2] / "openapi" / "segments.json"


def document_path() -> Path:
    """The effective OpenAPI document: the wheel's copy, else the checkout's.

    Raises:
        FileNotFoundError: neither exists (a broken install).
    """
    for candidate in (_SHIPPED, _CHECKOUT):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"the contract suite's OpenAPI document is missing ({_SHIPPED}); reinstall "
        "activecampaign-segments"
    )


def config_path() -> Path:
    """The Schemathesis settings the suite runs with (``schemathesis.toml`` in this package)."""
    return _HERE / "schemathesis.toml"
