"""``python -m activecampaign_simulator``: serve the simulator until Ctrl-C."""

from activecampaign_simulator.server import main

raise SystemExit(main())
