"""``python -m activecampaign_segments.cli``: the same as the ``ac-segments`` script."""

from activecampaign_segments.cli import main

main()
