"""The plugin inside pytest runs of its own (pytester): discovery, isolation, scope, misuse.

Each case writes a small user test module and runs pytest on it in a child process, with the
plugin found the way a user's pytest finds it (the ``pytest11`` entry point). In-process runs
would restore ``sys.modules`` afterwards and leave this worker with two copies of httpcore's
exception classes, which broke later tests in the same worker.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest
from activecampaign_segments.testing import AccountClosedError, simulated_account

pytest_plugins = ["pytester"]


def _assert_refused(base_url: str) -> None:
    # A raw socket, so the check depends on no client library.
    url = urlsplit(base_url)
    assert url.hostname == "127.0.0.1" and url.port
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((url.hostname, url.port), timeout=5).close()


def test_each_test_gets_a_fresh_account_on_one_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        seen = []

        def test_first(ac_simulator, ac_client):
            ac_simulator.add_count("4", 1)
            assert ac_client.latest_counts(["4"])["4"].result_count == 1
            seen.append((ac_simulator.base_url, ac_simulator.api_token))

        def test_second(ac_simulator, ac_client):
            assert ac_client.latest_counts(["4"]) == {}
            assert ac_simulator.requests == [ac_simulator.requests[0]]  # only its own
            seen.append((ac_simulator.base_url, ac_simulator.api_token))

        def test_one_server_two_tokens():
            (url_a, token_a), (url_b, token_b) = seen
            assert url_a == url_b and token_a != token_b
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_an_account_used_after_its_test_says_which_test_it_was(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_misuse="""
        import httpx
        import pytest
        from activecampaign_segments import AuthenticationError, SegmentsClient
        from activecampaign_segments.testing import AccountClosedError

        kept = []

        def test_keeps_its_account(ac_simulator):
            ac_simulator.add_count("4", 1)
            kept.append(ac_simulator)

        @pytest.mark.parametrize("use", [
            lambda a: a.add_count("4", 2),
            lambda a: a.add_history("4", 2),
            lambda a: a.fail_next(503),
            lambda a: a.requests,
            lambda a: a.set_rate_limit(5),
            lambda a: a.set_latency(1),
            lambda a: a.client(),
            lambda a: a.async_client(),
        ])
        def test_uses_it_later(use):
            (account,) = kept
            with pytest.raises(AccountClosedError) as caught:
                use(account)
            message = str(caught.value)
            assert "test_misuse.py::test_keeps_its_account has ended" in message
            assert "ask for the ac_simulator fixture" in message
            assert "closed" in repr(account)

        def test_its_token_is_refused_saying_why(ac_simulator):
            (account,) = kept
            with SegmentsClient(account.base_url, account.api_token) as client:
                with pytest.raises(AuthenticationError, match="test_keeps_its_account has ended"):
                    client.latest_counts(["4"])
            assert ac_simulator.requests == []  # not logged in another test's account
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=10)


def test_a_session_fixture_cannot_use_a_test_account(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.fixture(scope="session")
        def seeded(ac_simulator):
            return ac_simulator

        def test_it(seeded):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*ScopeMismatch*function scoped fixture ac_simulator*"])


def test_the_server_stops_when_the_session_ends(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from pathlib import Path

        def test_it(ac_simulator):
            Path("base_url.txt").write_text(ac_simulator.base_url)
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    _assert_refused((pytester.path / "base_url.txt").read_text())


def test_the_plugin_can_be_turned_off(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_it(ac_simulator):\n    pass\n")
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:activecampaign_segments"
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'ac_simulator' not found*"])


def test_simulated_account_without_pytest() -> None:
    with simulated_account() as account, account.client() as client:
        record = account.add_count("4", 1200)
        assert client.latest_counts(["4"]) == {"4": record}
        assert [r.status for r in account.requests] == [200]
        base_url = account.base_url
    with pytest.raises(AccountClosedError, match="`with simulated_account\\(\\)` block has ended"):
        account.add_count("4", 1)
    _assert_refused(base_url)  # the block's server is gone with it


def test_a_fixture_called_as_a_function_says_it_is_a_fixture() -> None:
    from activecampaign_segments.testing import _plugin

    with pytest.raises(pytest.fail.Exception, match=r"ac_simulator.*called directly"):
        _plugin.ac_simulator()
