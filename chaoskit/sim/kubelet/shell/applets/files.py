"""The container's filesystem: a flat ``{path: content}`` map (the image's files, mounted ConfigMaps
and Secrets, what kubelet writes), with directories implied by the paths under them."""

from __future__ import annotations

import io
import tarfile

from chaoskit.sim.kubelet.shell.applets.registry import applet
from chaoskit.sim.kubelet.shell.steps import ROOT_DIRS, Env, abs_path


@applet("cat")
def cat(args: list[str], env: Env) -> int:
    status = 0
    if not args and env.stdin is not None:
        env.out(env.stdin)
    for path in (abs_path(a, env) for a in args):
        if path in env.files:
            env.out(env.files[path])
        elif any(f.startswith(path.rstrip("/") + "/") for f in env.files):
            env.err(env.words.cat_is_dir.format(path=path))
            status = 1
        else:
            env.err(env.words.cat_missing.format(path=path))
            status = 1
    return status


@applet("touch")
def touch(args: list[str], env: Env) -> int:
    for path in args:
        env.files.setdefault(path, "")
    return 0


@applet("rm")
def rm(args: list[str], env: Env) -> int:
    force = any(a.startswith("-") and "f" in a for a in args)
    status = 0
    for path in (a for a in args if not a.startswith("-")):
        if env.files.pop(path, None) is None and not force:
            env.err(env.words.rm_missing.format(path=path))
            status = 1
    return status


@applet("mkdir")
def mkdir(args: list[str], env: Env) -> int:
    """Directories exist as soon as a file is under them, so there is nothing to create."""
    return 0


@applet("ls")
def ls(args: list[str], env: Env) -> int:
    paths = [abs_path(a, env) for a in args if not a.startswith("-")] or [env.cwd]
    status = 0
    for path in paths:
        base = path.rstrip("/") or "/"
        if base in env.files:
            env.out(base.rsplit("/", 1)[-1] + "\n")
            continue
        prefix = "/" if base == "/" else base + "/"
        names = {f[len(prefix):].split("/", 1)[0] for f in env.files if f.startswith(prefix)}
        if base == "/":
            names |= set(ROOT_DIRS)
        elif not names and base.strip("/") not in ROOT_DIRS:
            env.err(env.words.ls_missing.format(path=path))
            status = env.words.ls_missing_status
            continue
        if len(paths) > 1:
            env.out(f"{path}:\n")
        if names:
            env.out("\n".join(sorted(names)) + "\n")
    return status


@applet("tar")
def tar(args: list[str], env: Env) -> int:
    """Enough of tar for kubectl cp: ``tar cf - PATH...`` and ``tar xf - -C DIR`` (flags may be ``-xmf``)."""
    if not args:
        env.err(env.words.tar_no_op)
        return 2
    mode = args[0].lstrip("-")
    rest = args[1:]
    target_dir = env.cwd
    if "-C" in rest and rest.index("-C") + 1 < len(rest):
        target_dir = abs_path(rest[rest.index("-C") + 1], env)
        rest = [a for i, a in enumerate(rest) if a != "-C" and (i == 0 or rest[i - 1] != "-C")]
    operands = [a for a in rest if a != "-" and not a.startswith("-")]
    if "c" in mode:
        return _create(operands, env)
    if "x" in mode:
        return _extract(target_dir, env)
    env.err(f"tar: unsupported mode {args[0]}")
    return 2


def _create(operands: list[str], env: Env) -> int:
    """The archive goes to stdout as bytes (kubectl cp reads it off the exec stream)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for operand in operands:
            path = abs_path(operand, env).rstrip("/")
            matches = sorted(f for f in env.files if f == path or f.startswith(path + "/"))
            if not matches:
                env.err(f"tar: {operand}: No such file or directory")
                return 1
            for name in matches:
                data = env.files[name].encode("latin-1", errors="replace")
                info = tarfile.TarInfo(name.lstrip("/"))
                info.size, info.mode, info.mtime = len(data), 0o644, 0
                archive.addfile(info, io.BytesIO(data))
    if any(abs_path(o, env).startswith("/") for o in operands):
        env.err("tar: removing leading '/' from member names")
    env.out(buf.getvalue())
    return 0


def _extract(target_dir: str, env: Env) -> int:
    """stdin holds the archive, decoded as latin-1 so every byte survives the text channel."""
    raw = (env.stdin or "").encode("latin-1", errors="replace")
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:*") as archive:
            for member in archive.getmembers():
                if member.isfile():
                    handle = archive.extractfile(member)
                    content = handle.read() if handle else b""
                    env.files[f"{target_dir.rstrip('/')}/{member.name.lstrip('/')}"] = content.decode("latin-1")
    except tarfile.TarError:
        env.err(env.words.tar_not_archive)
        return 1
    return 0
