"""Client settings: base URL normalisation, token checks, environment loading, redaction.

Everything here raises ``ValueError`` before any request is made, and no message
or ``repr`` built here contains the API token.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections.abc import Mapping
from typing import Final
from urllib.parse import urlsplit
from urllib.request import getproxies_environment, proxy_bypass

from attrs import field, frozen

__all__ = [
    "ENV_TOKEN",
    "ENV_URL",
    "ClientConfig",
    "env_settings",
    "normalise_base_url",
    "proxy_from_environment",
]

ENV_URL: Final = "ACTIVECAMPAIGN_API_URL"
ENV_TOKEN: Final = "ACTIVECAMPAIGN_API_KEY"  # noqa: S105 - a variable name

# People copy the "API URL" from ActiveCampaign's settings page, which may end in
# /api/3; the generated paths start with /api/3 themselves, so it is stripped.
_API_SUFFIX: Final = re.compile(r"/api/3/*$", re.IGNORECASE)
# A header value must be visible ASCII; anything else would be refused by httpx with
# a message that quotes the value, or worse, split the header.
_TOKEN_CHARS: Final = re.compile(r"[\x21-\x7e]+")
_SCHEMES: Final = ("http", "https")


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalise_base_url(base_url: object, *, allow_insecure: bool = False) -> str:
    """Check ``base_url`` and return it normalised.

    The normalised URL has a lowercase scheme and host, no trailing ``/`` and no
    trailing ``/api/3`` (the generated paths start with ``/api/3``).

    Raises:
        ValueError: not a string, no ``http``/``https`` scheme, no host, credentials,
            query or fragment in the URL, a bad port, or ``http://`` to a host that is
            not loopback without ``allow_insecure``.
    """
    if not isinstance(base_url, str) or not base_url.strip():
        raise ValueError(f"base_url must be a non-empty string, got {base_url!r}")
    text = base_url.strip()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES or not text.lower().startswith(f"{scheme}://"):
        hint = text if "://" not in text else text.split("://", 1)[1]
        raise ValueError(
            f"base_url needs an https:// scheme, e.g. 'https://{hint.lstrip('/')}'; got {text!r}"
        )
    if parts.username is not None or parts.password is not None:
        # Not echoed: the URL holds credentials.
        raise ValueError("base_url must not contain credentials; pass api_token instead")
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError(f"base_url has no host: {text!r}")
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise ValueError(f"base_url must not have a query or fragment: {text!r}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"base_url has an invalid port: {text!r}") from None
    if scheme == "http" and not allow_insecure and not _is_loopback(host):
        raise ValueError(
            f"refusing http:// for {host!r}: the API token would travel unencrypted. "
            "Use https://, or pass allow_insecure=True if you really mean it"
        )
    path = _API_SUFFIX.sub("", parts.path.rstrip("/")).rstrip("/")
    netloc_host = f"[{host}]" if ":" in host else host
    netloc = netloc_host if port is None else f"{netloc_host}:{port}"
    return f"{scheme}://{netloc}{path}"


def _check_token(api_token: object) -> str:
    if not isinstance(api_token, str) or not api_token.strip():
        raise ValueError("api_token must be a non-empty string")
    token = api_token.strip()
    if not _TOKEN_CHARS.fullmatch(token):
        raise ValueError(
            "api_token contains spaces or characters that cannot be sent in an HTTP header"
        )
    return token


def _check_positive(name: str, value: object, *, allow_none: bool) -> float | None:
    if value is None and allow_none:
        return None
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or value <= 0
    ):
        allowed = "a positive number or None" if allow_none else "a positive number"
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return float(value)


def _check_retries(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"max_retries must be an int >= 0, got {value!r}")
    return value


@frozen
class ClientConfig:
    """The checked settings of a client. Build it with ``ClientConfig.create``."""

    base_url: str
    api_token: str = field(repr=lambda _: "'***'")
    timeout: float | None
    max_retries: int
    requests_per_second: float | None
    allow_insecure: bool

    @classmethod
    def create(
        cls,
        *,
        base_url: object,
        api_token: object,
        timeout: object = 30.0,
        max_retries: object = 4,
        requests_per_second: object = 5.0,
        allow_insecure: bool = False,
    ) -> ClientConfig:
        """Check every setting; ``ValueError`` (never quoting the token) on the first bad one."""
        return cls(
            base_url=normalise_base_url(base_url, allow_insecure=bool(allow_insecure)),
            api_token=_check_token(api_token),
            timeout=_check_positive("timeout", timeout, allow_none=True),
            max_retries=_check_retries(max_retries),
            requests_per_second=_check_positive(
                "requests_per_second", requests_per_second, allow_none=True
            ),
            allow_insecure=bool(allow_insecure),
        )

    def __str__(self) -> str:
        return repr(self)


def env_settings(environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """Read ``(base_url, api_token)`` from ``ACTIVECAMPAIGN_API_URL`` / ``ACTIVECAMPAIGN_API_KEY``.

    Raises:
        ValueError: a variable is unset or empty (the message names it, never its value).
    """
    env = os.environ if environ is None else environ
    missing = [name for name in (ENV_URL, ENV_TOKEN) if not env.get(name, "").strip()]
    if missing:
        raise ValueError(f"set the environment variable(s) {', '.join(missing)}")
    return env[ENV_URL], env[ENV_TOKEN]


def proxy_from_environment(base_url: str) -> str | None:
    """The proxy URL the environment asks for when talking to ``base_url``, if any.

    Reads ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` (either case) and honours
    ``NO_PROXY``, with the standard library's rules; loopback hosts are never proxied.
    The client applies it to its own
    default transport rather than letting httpx mount proxies beside that transport,
    which would bypass the retries and the rate limiter.
    """
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    if _is_loopback(host):
        # A proxy's loopback is not ours: a local simulator is always reached directly.
        return None
    proxies = getproxies_environment()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or proxy_bypass(host):
        return None
    return proxy
