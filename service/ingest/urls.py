"""Page URL normalisation, so that one page reported under several URLs groups as one."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PARAMS = frozenset({"gclid", "fbclid", "yclid", "_openstat"})
DEFAULT_PORTS = {"http": 80, "https": 443}


class BadURL(ValueError):
    pass


def _split(url: str):
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise BadURL("must be an http or https address")
    if not parts.hostname:
        raise BadURL("has no host")
    try:
        port = parts.port
    except ValueError as exc:
        raise BadURL("has an invalid port") from exc
    return parts, scheme, parts.hostname.lower(), port


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` with the default port dropped, as browsers send ``Origin``."""
    _, scheme, host, port = _split(url)
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port and port != DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"


def normalize_url(url: str) -> str:
    """Lower-case scheme and host, drop the default port, the fragment, user info and tracking
    parameters (``utm_*``, gclid, fbclid, yclid, _openstat); sort the query; drop a trailing
    slash except on ``/``."""
    parts, _scheme, _host, _port = _split(url)
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS
    )
    path = parts.path or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    scheme, netloc = origin_of(url).split("://", 1)
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def strip_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def normalize_origin(value: str) -> str:
    """An allowed origin as typed by an admin (``https://Example.org/``) in canonical form."""
    value = value.strip()
    if "://" not in value:
        raise BadURL("must start with http:// or https://")
    parts = urlsplit(value)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise BadURL("must be only scheme, host and port, without a path")
    return origin_of(value)
