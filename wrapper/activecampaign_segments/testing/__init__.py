"""Test your own code offline: a simulated ActiveCampaign account per test.

With the ``testing`` extra (``pip install 'activecampaign-segments[testing]'``), pytest
finds the fixtures on its own (the ``pytest11`` entry point: no conftest, no import):

- ``ac_simulator``: a fresh, empty :class:`SimulatedAccount` for each test;
- ``ac_client`` / ``ac_async_client``: a ``SegmentsClient`` / ``AsyncSegmentsClient`` bound
  to it, without rate-limiter pauses, closed after the test;
- ``ac_env``: the account in ``ACTIVECAMPAIGN_API_URL`` and ``ACTIVECAMPAIGN_API_KEY``, for
  code that calls ``from_env()`` or runs ``ac-segments``.

Without pytest (unittest, notebooks), :func:`simulated_account` gives the same account for
a ``with`` block. The guide is ``docs/testing.md``.
"""

from ._account import AccountClosedError, ReceivedRequest, SimulatedAccount, simulated_account

__all__ = ["AccountClosedError", "ReceivedRequest", "SimulatedAccount", "simulated_account"]
