"""The simulated registry: a catalogue of real images and tags, and reference parsing.

The catalogue is data (:data:`CATALOGUE`); add a repository or a tag there. Pull failures
are worded as containerd 2.x on a kind node words them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

REFERENCE = re.compile(
    r"^(?P<name>(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*"
    r"[a-zA-Z0-9]))*(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$"
)

KNOWN_REGISTRIES = {"docker.io", "ghcr.io", "registry.k8s.io", "quay.io", "gcr.io", "mcr.microsoft.com"}


@dataclass(frozen=True)
class Repo:
    """One repository: its tags, size, default process and the tools its filesystem carries."""

    tags: tuple[str, ...]
    size: int
    model: str
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    tools: str = "busybox"  # a key of shell.TOOLSETS: busybox, busybox+curl, gnu, gnu-bare, none
    env: tuple[tuple[str, str], ...] = ()
    sizes: dict[str, int] = field(default_factory=dict)

    def tools_for(self, tag: str) -> str:
        """Alpine variants of Debian-based images carry busybox's applets instead (wget, nslookup, nc)."""
        if "alpine" in tag and self.tools.startswith("gnu"):
            return "busybox+curl"
        return self.tools


_NGINX_TAGS = ("1.25", "1.25.5", "1.26", "1.26.3", "1.27", "1.27.0", "1.27.3", "1.27.4", "1.27.5", "1.28",
               "1.28.0", "1.29", "1.29.0", "1.29.1", "stable", "mainline", "latest", "alpine", "alpine-slim",
               "1.25-alpine-slim", "1.27-alpine-slim", "stable-alpine-slim", "mainline-alpine-slim", "1.25-alpine",
               "1.27-alpine",
               "1.28-alpine", "stable-alpine", "1.14.2", "1.16", "1.19", "1.20", "1.21", "1.23", "1.24")
_PODINFO_TAGS = ("6.5.4", "6.6.0", "6.6.3", "6.7.0", "6.7.1", "6.8.0", "6.9.0", "6.9.1", "latest")
_KUBE = "v1.37.1"

CATALOGUE: dict[str, Repo] = {
    "docker.io/library/nginx": Repo(_NGINX_TAGS, 72_099_501, "nginx", ("/docker-entrypoint.sh",),
                                    ("nginx", "-g", "daemon off;"), "gnu",
                                    (("NGINX_VERSION", "1.27.5"), ("NJS_VERSION", "0.8.10"))),
    "docker.io/library/busybox": Repo(("1.35", "1.36", "1.36.1", "1.37", "1.37.0", "latest", "stable", "musl",
                                       "glibc", "uclibc", "1.28"), 2_155_000, "shell", (), ("sh",), "busybox"),
    "docker.io/library/alpine": Repo(("3.18", "3.19", "3.20", "3.21", "3.22", "latest", "edge", "3"),
                                     3_653_000, "shell", (), ("/bin/sh",), "busybox"),
    "docker.io/library/ubuntu": Repo(("22.04", "24.04", "jammy", "noble", "latest"), 29_754_000, "shell", (),
                                     ("/bin/bash",), "gnu-bare"),
    "ghcr.io/stefanprodan/podinfo": Repo(_PODINFO_TAGS, 19_622_000, "podinfo", (), ("./podinfo",),
                                         "busybox+curl"),
    "docker.io/stefanprodan/podinfo": Repo(_PODINFO_TAGS, 19_622_000, "podinfo", (), ("./podinfo",),
                                           "busybox+curl"),
    "docker.io/polinux/stress": Repo(("latest", "1.0.4"), 4_041_000, "stress", (), ("stress", "--help"), "busybox"),
    "docker.io/curlimages/curl": Repo(("8.10.1", "8.11.0", "8.12.1", "latest"), 11_890_000, "shell",
                                      ("/entrypoint.sh",), ("curl",), "busybox+curl"),
    "registry.k8s.io/pause": Repo(("3.10", "3.10.1"), 320_368, "daemon", (), ("/pause",), "none"),
    "registry.k8s.io/etcd": Repo(("3.6.4-0", "3.6.5-0"), 23_000_000, "daemon", (), ("etcd",), "none"),
    "registry.k8s.io/kube-apiserver": Repo((_KUBE,), 30_000_000, "daemon", (), ("kube-apiserver",), "none"),
    "registry.k8s.io/kube-controller-manager": Repo((_KUBE,), 27_000_000, "daemon", (),
                                                    ("kube-controller-manager",), "none"),
    "registry.k8s.io/kube-scheduler": Repo((_KUBE,), 21_000_000, "daemon", (), ("kube-scheduler",), "none"),
    "registry.k8s.io/kube-proxy": Repo((_KUBE,), 31_000_000, "daemon", (), ("kube-proxy",), "none"),
    "registry.k8s.io/coredns/coredns": Repo(("v1.12.1", "v1.12.3"), 22_000_000, "daemon", ("/coredns",), (),
                                            "none"),
    "docker.io/kindest/kindnetd": Repo(("v20250512-df8de77b",), 44_000_000, "daemon", (), ("/bin/kindnetd",),
                                       "none"),
    "docker.io/kindest/local-path-provisioner": Repo(("v20250214-acbabc1a",), 22_000_000, "daemon", (),
                                                     ("local-path-provisioner",), "none"),
}


@dataclass(frozen=True)
class ImageRef:
    given: str
    registry: str
    path: str
    tag: str
    digest: str

    @property
    def repository(self) -> str:
        return f"{self.registry}/{self.path}"

    @property
    def canonical(self) -> str:
        """What containerd reports as ``image`` (``docker.io/library/nginx:1.27``)."""
        if self.digest and not self.tag:
            return f"{self.repository}@{self.digest}"
        return f"{self.repository}:{self.tag or 'latest'}"


class InvalidImage(ValueError):
    """An image reference that does not parse (InvalidImageName)."""


def parse(image: str) -> ImageRef:
    """Normalize like docker/distribution: default registry docker.io, library/, tag latest."""
    match = REFERENCE.match(image)
    if not match:
        detail = "invalid reference format"
        name = image.split(":")[0].split("@")[0]
        if name != name.lower() and REFERENCE.match(image.lower()):
            repo = name if "/" in name else f"library/{name}"
            detail += f": repository name ({repo}) must be lowercase"
        raise InvalidImage(f'Failed to apply default image tag "{image}": couldn\'t parse image name "{image}": '
                           f"{detail}")
    name, tag, digest = match.group("name"), match.group("tag") or "", match.group("digest") or ""
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, rest
    else:
        registry, path = "docker.io", name
    if registry == "docker.io" and "/" not in path:
        path = f"library/{path}"
    if not tag and not digest:
        tag = "latest"
    return ImageRef(image, registry, path, tag, digest)


def digest_of(ref: ImageRef) -> str:
    return "sha256:" + hashlib.sha256(f"{ref.repository}:{ref.tag}".encode()).hexdigest()


def image_id(ref: ImageRef) -> str:
    return f"{ref.repository}@{ref.digest or digest_of(ref)}"


def lookup(ref: ImageRef) -> Repo | None:
    return CATALOGUE.get(ref.repository)


def pull_error(ref: ImageRef) -> str | None:
    """The containerd error for a pull of ``ref``, or None when the image exists."""
    shown = ref.canonical
    prefix = f'failed to pull and unpack image "{shown}": failed to resolve reference "{shown}": '
    if ref.registry not in KNOWN_REGISTRIES:
        host = ref.registry
        return (prefix + f'failed to do request: Head "https://{host}/v2/{ref.path}/manifests/{ref.tag or ref.digest}"'
                f": dial tcp: lookup {host.split(':')[0]} on 172.18.0.1:53: no such host")
    repo = lookup(ref)
    if repo is None:
        if ref.registry == "docker.io":
            return prefix + ("pull access denied, repository does not exist or may require authorization: "
                             "server message: insufficient_scope: authorization failed")
        return prefix + f"{shown}: not found"
    if ref.digest and not ref.tag:
        return None if ref.digest.startswith("sha256:") else prefix + f"{shown}: not found"
    if ref.tag not in repo.tags:
        return prefix + f"{shown}: not found"
    return None
