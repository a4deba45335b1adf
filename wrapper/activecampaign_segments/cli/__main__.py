"""``python -m activecampaign_segments.cli``: the same as the ``ac-segments`` script."""

from activecampaign_segments.cli.commands import main

main()
