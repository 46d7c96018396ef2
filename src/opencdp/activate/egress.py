"""Where destinations may send data: folders for files, hosts for webhooks and databases.

A destination is a way out for personal data, so its target is checked against the
installation's settings when an admin configures it and again before every delivery (the
settings may have narrowed since, a host name may resolve elsewhere now):

- destinations that write files (file, ad lists, e-mail lists) write only inside the
  allowed folders (`destination_folders`, default `<data_dir>/exports`), after resolving
  `..` and symbolic links; a relative path is placed inside the first allowed folder;
- webhooks and databases reach only public addresses unless the host is allowed by name,
  address or network (`destination_allowed_hosts`), so no destination reaches the loopback
  interface, the internal network or a cloud metadata service (server-side request
  forgery). Every address a name resolves to must pass.

A host name is resolved here and again by the HTTP client or database driver, so a name
whose DNS answer changes between the two (DNS rebinding) is not caught: allow-list names
you control.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from opencdp.activate.errors import InvalidDestination
from opencdp.config import Settings

FILE_KINDS = frozenset({"file", "google_customer_match", "meta_custom_audience", "email_list"})
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int | None], list[str]]


class EgressRefused(InvalidDestination):
    """The destination's folder or host is outside what the settings allow."""


def resolve_host(host: str, port: int | None) -> list[str]:
    """Every address `host` resolves to (an address resolves to itself)."""
    infos = socket.getaddrinfo(host, port or 0, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]) for info in infos})


@dataclass(frozen=True)
class Egress:
    """The folders and non-public hosts destinations may use (see the module docstring)."""

    folders: tuple[Path, ...]
    host_names: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()
    any_host: bool = False
    resolve: Resolver = resolve_host

    @classmethod
    def from_settings(cls, settings: Settings) -> Egress:
        folders = _items(settings.destination_folders) or [str(settings.data_dir / "exports")]
        names: set[str] = set()
        networks: list[Network] = []
        any_host = False
        for item in _items(settings.destination_allowed_hosts):
            if item == "*":
                any_host = True
                continue
            try:
                networks.append(ipaddress.ip_network(item.strip("[]"), strict=False))
            except ValueError:
                names.add(item.lower().rstrip("."))
        return cls(tuple(Path(f).expanduser().resolve() for f in folders),
                   frozenset(names), tuple(networks), any_host)  # fmt: skip

    def admit(self, kind: str, config: dict[str, Any]) -> dict[str, Any]:
        """`config` with its folder made absolute; EgressRefused when the target is not
        allowed."""
        if kind in FILE_KINDS:
            return {**config, "path": str(self.folder(str(config.get("path", ""))))}
        if kind == "webhook":
            self._webhook(str(config.get("url", "")))
        elif kind == "database":
            self._database(str(config.get("url", "")))
        return config

    def folder(self, path: str) -> Path:
        """The absolute, resolved folder for `path`, if it lies inside an allowed folder."""
        if not path.strip() or "\0" in path:
            raise EgressRefused("path must name the folder files are written to")
        given = Path(path).expanduser()
        placed = (given if given.is_absolute() else self.folders[0] / given).resolve()
        if not any(placed.is_relative_to(root) for root in self.folders):
            allowed = ", ".join(str(f) for f in self.folders)
            raise EgressRefused(
                f"path {str(placed)!r} is outside the folders destinations may write to "
                f"({allowed}); an admin can allow more with the destination_folders setting"
            )
        return placed

    def _webhook(self, url: str) -> None:
        parsed = urlparse(url)
        try:
            port = parsed.port
        except ValueError:
            raise EgressRefused("url has an invalid port") from None
        self._host(parsed.hostname, port, "url")

    def _database(self, url: str) -> None:
        scheme = urlparse(url).scheme.split("+")[0]
        if scheme in ("postgres", "postgresql"):
            for host, port in _postgres_hosts(url):
                self._host(host, port, "url")
            return
        parsed = urlparse(url)
        try:
            port = parsed.port
        except ValueError:
            raise EgressRefused("url has an invalid port") from None
        self._host(parsed.hostname or "127.0.0.1", port or 3306, "url")  # as the driver does

    def _host(self, host: str | None, port: int | None, field: str) -> None:
        if not host:
            raise EgressRefused(f"{field} must name a host")
        name = host.lower().strip("[]").rstrip(".")
        if self.any_host or name in self.host_names:
            return
        if name.startswith(("/", "@")):  # a Unix socket: this machine
            raise EgressRefused(
                f"{field} reaches a local socket ({host}); allow it with "
                "destination_allowed_hosts = \"*\" if it is meant"
            )
        try:
            addresses = self.resolve(name, port)
        except (OSError, UnicodeError):
            raise EgressRefused(f"{field}: cannot resolve host {host!r}") from None
        if not addresses:
            raise EgressRefused(f"{field}: host {host!r} resolves to no address")
        for text in addresses:
            address = _address(text)
            if address is None or (not _public(address) and not self._allowed(address)):
                raise EgressRefused(
                    f"{field}: host {host!r} is a loopback, private, link-local or otherwise "
                    f"non-public address ({text}); an admin can allow it with the "
                    "destination_allowed_hosts setting"
                )

    def _allowed(self, address: Address) -> bool:
        return any(address.version == n.version and address in n for n in self.networks)


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.partition("%")[0])  # drop an IPv6 zone
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _public(address: Address) -> bool:
    return address.is_global and not address.is_multicast


def _postgres_hosts(url: str) -> Iterable[tuple[str, int | None]]:
    """The hosts libpq would connect to for `url` (`hostaddr` wins over `host`)."""
    from psycopg import conninfo

    try:
        params = conninfo.conninfo_to_dict(url.replace("postgresql+psycopg://", "postgresql://"))
    except Exception:  # psycopg raises its own ProgrammingError for a malformed URL
        raise EgressRefused("url is not a valid PostgreSQL connection URL") from None
    if params.get("service") is not None:
        raise EgressRefused("url must not name a connection service; give the host")
    hosts = str(params.get("hostaddr") or params.get("host") or "/").split(",")
    ports = str(params.get("port") or "").split(",")
    for index, host in enumerate(hosts):
        port_text = ports[index] if index < len(ports) else (ports[0] if len(ports) == 1 else "")
        yield host.strip() or "/", int(port_text) if port_text.strip().isdigit() else None
