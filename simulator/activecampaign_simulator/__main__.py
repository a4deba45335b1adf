"""``python -m activecampaign_simulator``: serve the simulator until Ctrl-C."""

import importlib.util
import sys

# Starlette and uvicorn come with the `simulator` extra: say so in one line, not a traceback.
_absent = [name for name in ("starlette", "uvicorn") if importlib.util.find_spec(name) is None]
if _absent:
    print(
        f"python -m activecampaign_simulator needs the 'simulator' extra "
        f"({', '.join(_absent)} not installed): "
        "pip install 'activecampaign-segments[simulator]'",
        file=sys.stderr,
    )
    raise SystemExit(11)

from activecampaign_simulator.server import main  # noqa: E402

raise SystemExit(main())
