"""A faithful, in-process simulator of ActiveCampaign's segment count history API.

Serve it from a shell (prints ``base_url=...`` and ``token=...``, loopback only)::

    python -m activecampaign_simulator --port 8765 --segments 20 --history 300 --rps 5

or from Python, on a free port in a background thread::

    from activecampaign_simulator.config import SimulatorConfig
    from activecampaign_simulator.server import serve_in_thread

    with serve_in_thread(SimulatorConfig(rps=0, extra_segments={"big": 20_000})) as sim:
        ...  # sim.base_url, sim.token, sim.store.records("big") (the ground truth)

or in-process with ``starlette.testclient.TestClient(create_app(config))``
(:func:`activecampaign_simulator.app.create_app`).

Modules: ``config`` (the settings), ``dataset`` (the seeded data and the boundary
segments' ids), ``store`` (SQLite and the queries), ``ratelimit`` (the per-account
bucket), ``faults`` (injected errors), ``lenient`` (the lenient profile's readings),
``app`` (routes and JSON errors), ``server``
(uvicorn, ``main``).
"""
