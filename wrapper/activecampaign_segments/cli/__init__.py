"""The ``ac-segments`` command line (console script ``activecampaign_segments.cli:main``)."""

from activecampaign_segments.cli.commands import app, main

__all__ = ["app", "main"]
