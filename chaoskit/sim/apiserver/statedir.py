"""The served simulator's state directory: what makes a restarted ``chaoskit sim serve`` the same
server to every client that knew it (its CA, serving certificate, tokens, client certificates and
port), a lock so that two servers never share one directory, and a heartbeat that says when the
last one was alive (so a restart can say how much a ``kill -9`` lost).

Layout; every file is created 0600 and the directory 0700 (:mod:`chaoskit.kube.files`)::

    lock                         pid of the server holding the directory (flock); mtime: its heartbeat
    server.json                  {"format": 1, "host": ..., "port": ...}: where the kubeconfigs point
    ca.crt ca.key                the CA every kubeconfig trusts; kept for as long as it is valid
    apiserver.crt apiserver.key  the serving certificate, renewed from the CA when it must be
    tokens.csv                   bearer tokens, in kube-apiserver's --token-auth-file format
    trainee.crt trainee.key      client certificates (--auth client-cert), as kind's admin.conf
    system.crt system.key
    kubeconfig system.kubeconfig snapshot.json audit.log

``server.json`` marks a directory whose credentials are kept: without it (a new directory, or one
an older chaoskit wrote, which kept nothing), everything is made anew.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm

from chaoskit.kube import files, tls
from chaoskit.kube.identity import SYSTEM, SYSTEM_GROUPS, TRAINEE
from chaoskit.sim.errors import SimError
from chaoskit.sim.snapshot import StateFileError

ENDPOINT = "server.json"
LOCK = "lock"
TOKENS = "tokens.csv"
FORMAT = 1
RENEW_BEFORE = 86400.0  # renew a certificate with less than a day to live
DELETE_TO_RESET = "delete the state directory's credentials (server.json and ca.*) to make new ones; " \
                  "kubeconfigs handed out before then stop working"

Credential = str | tuple[bytes, bytes]  # a bearer token, or a client certificate and key (PEM)


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int


@dataclass(frozen=True)
class Credentials:
    """What the server presents and accepts, and the files that keep it."""

    certs: tls.Certs
    trainee: Credential
    system: Credential
    tokens: dict[str, str]              # bearer token -> user; empty with client certificates
    files: dict[str, bytes]             # state-dir file name -> content
    kept: bool                          # the CA came from an earlier run: old kubeconfigs still work
    notes: tuple[str, ...] = field(default=())  # what was renewed, for the user


class StateDir:
    """A state directory held by this process (flock on ``lock``) until :meth:`close`."""

    def __init__(self, path: Path, lock_fd: int, last_alive: float | None) -> None:
        self.path = path
        self._lock_fd = lock_fd
        self.last_alive = last_alive  # the previous holder's last heartbeat (None: never held)

    @classmethod
    def open(cls, path: Path) -> StateDir:
        """Create (0700) and lock ``path``; a second server on the same directory is refused."""
        try:
            files.private_dir(path)
            fd = os.open(path / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, files.FILE_MODE)
        except OSError as exc:
            raise SimError(f"cannot use state directory {path}: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise SimError(f"state directory {path} is in use by another chaoskit sim serve (pid {holder}): "
                           "stop it first, or use another --state-dir") from None
        info = os.fstat(fd)
        last_alive = info.st_mtime if info.st_size else None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        files.remove_temps(path)  # a killed writer's leftovers; we hold the directory now
        return cls(path, fd, last_alive)

    def heartbeat(self) -> None:
        """Record that the server is alive now (the lock file's mtime)."""
        os.utime(self._lock_fd)

    def close(self) -> None:
        if self._lock_fd >= 0:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = -1

    # ------------------------------------------------------------------ endpoint

    def endpoint(self) -> Endpoint | None:
        """Where the kubeconfigs pointed last time; None for a directory that kept nothing."""
        path = self.path / ENDPOINT
        raw = self._read(ENDPOINT)
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ValueError(f"expected an object with \"format\": {FORMAT}")
            host, port = data["host"], data["port"]
            if not isinstance(host, str) or not isinstance(port, int) or not 0 < port < 65536:
                raise ValueError("expected a host name and a port from 1 to 65535")
        except (ValueError, KeyError) as exc:
            raise StateFileError(f"{path}: is not readable ({exc}); {DELETE_TO_RESET}") from exc
        return Endpoint(host, port)

    def save_endpoint(self, endpoint: Endpoint) -> None:
        body = {"format": FORMAT, "host": endpoint.host, "port": endpoint.port}
        self._write_if_changed(ENDPOINT, (json.dumps(body, indent=2) + "\n").encode())

    # ------------------------------------------------------------------ credentials

    def credentials(self, host: str, auth: str) -> Credentials:
        """The credentials kept here (renewing what must be), or new ones; nothing is written yet."""
        notes: list[str] = []
        now = time.time()
        ca = self._pair("ca.crt", "ca.key") if self._read(ENDPOINT) is not None else None
        if ca is not None and tls.not_after(ca[0]) < now + RENEW_BEFORE:
            notes.append(f"the CA in {self.path / 'ca.crt'} expires {_date(tls.not_after(ca[0]))}: made a new one; "
                         "hand out the new kubeconfigs")
            ca = None
        kept = ca is not None
        ca_pem, ca_key = ca if ca is not None else tls.make_ca()
        serving = self._pair("apiserver.crt", "apiserver.key", ca_pem) if kept else None
        if serving is not None and (not tls.covers(serving[0], host) or tls.not_after(serving[0]) < now + RENEW_BEFORE):
            notes.append(f"renewed the serving certificate for {host}")
            serving = None
        cert_pem, key_pem = serving if serving is not None else tls.serving_cert(ca_pem, ca_key, host)
        certs = tls.Certs(ca_pem, cert_pem, key_pem, ca_key)
        out = {"ca.crt": ca_pem, "ca.key": ca_key, "apiserver.crt": cert_pem, "apiserver.key": key_pem}
        if auth == "client-cert":
            trainee = self._client(certs, kept, "trainee", TRAINEE, (), notes)
            system = self._client(certs, kept, "system", SYSTEM, SYSTEM_GROUPS, notes)
            out.update({"trainee.crt": trainee[0], "trainee.key": trainee[1],
                        "system.crt": system[0], "system.key": system[1]})
            return Credentials(certs, trainee, system, {}, out, kept, tuple(notes))
        tokens = self._tokens() if kept else None
        if tokens is None:
            if kept:
                notes.append(f"made new bearer tokens ({self.path / TOKENS} was missing)")
            tokens = {TRAINEE: tls.new_token(), SYSTEM: tls.new_token()}
        out[TOKENS] = _tokens_csv(tokens)
        return Credentials(certs, tokens[TRAINEE], tokens[SYSTEM], {tokens[TRAINEE]: TRAINEE, tokens[SYSTEM]: SYSTEM},
                           out, kept, tuple(notes))

    def save(self, credentials: Credentials) -> None:
        for name, data in credentials.files.items():
            self._write_if_changed(name, data)

    def _client(self, certs: tls.Certs, kept: bool, stem: str, user: str, groups: tuple[str, ...],
                notes: list[str]) -> tuple[bytes, bytes]:
        pair = None
        if kept and (self.path / f"{stem}.crt").exists():
            pair = self._pair(f"{stem}.crt", f"{stem}.key", certs.ca_pem)
            if tls.not_after(pair[0]) < time.time() + RENEW_BEFORE:
                notes.append(f"renewed the client certificate in {self.path / (stem + '.crt')}")
                pair = None
        return pair if pair is not None else tls.client_cert(certs, user, groups)

    def _pair(self, cert_name: str, key_name: str, ca_pem: bytes | None = None) -> tuple[bytes, bytes]:
        """A certificate and its key read back and checked; StateFileError names what is wrong."""
        cert, key = self._read(cert_name), self._read(key_name)
        missing = [n for n, data in ((cert_name, cert), (key_name, key)) if data is None]
        if missing:
            raise StateFileError(f"{self.path / missing[0]}: is missing; {DELETE_TO_RESET}")
        assert cert is not None and key is not None
        try:
            tls.check_pair(cert, key, ca_pem)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise StateFileError(f"{self.path / cert_name}: is not usable with {key_name}"
                                 f"{' and ca.crt' if ca_pem else ''} ({_one_line(exc)}); {DELETE_TO_RESET}") from exc
        return cert, key

    def _tokens(self) -> dict[str, str] | None:
        """user -> token from tokens.csv (None if absent): kube-apiserver's static token file format,
        ``token,user,uid[,"group1,group2"]``."""
        raw = self._read(TOKENS)
        if raw is None:
            return None
        found: dict[str, str] = {}
        try:
            reader = csv.reader(io.StringIO(raw.decode("utf-8")))
            for row in reader:
                if not row or row[0].startswith("#"):
                    continue
                if len(row) < 3 or not row[0]:
                    raise ValueError(f"line {reader.line_num}: expected token,user,uid[,groups]")
                found[row[1]] = row[0]
        except (ValueError, csv.Error) as exc:
            raise StateFileError(f"{self.path / TOKENS}: is not readable ({_one_line(exc)}); {DELETE_TO_RESET}") \
                from exc
        lacking = [u for u in (TRAINEE, SYSTEM) if u not in found]
        if lacking:
            raise StateFileError(f"{self.path / TOKENS}: has no token for {', '.join(lacking)}; {DELETE_TO_RESET}")
        return found

    # ------------------------------------------------------------------ files

    def _read(self, name: str) -> bytes | None:
        try:
            return (self.path / name).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateFileError(f"{self.path / name}: cannot be read ({exc.strerror})") from exc

    def _write_if_changed(self, name: str, data: bytes) -> None:
        """Rewrite a file only when its content (or a too-open mode an older chaoskit left) differs."""
        path = self.path / name
        with contextlib.suppress(OSError):
            if path.stat().st_mode & 0o777 == files.FILE_MODE and path.read_bytes() == data:
                return
        files.write_private(path, data)


def _tokens_csv(tokens: dict[str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([tokens[TRAINEE], TRAINEE, TRAINEE])
    writer.writerow([tokens[SYSTEM], SYSTEM, SYSTEM, ",".join(SYSTEM_GROUPS)])
    return out.getvalue().encode()


def _date(epoch: float) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(epoch))


def _one_line(exc: Any) -> str:
    return " ".join(str(exc).split())
