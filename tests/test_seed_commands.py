"""Every kubectl command of the seed documents, run with the real kubectl against the simulator.

That each step's ``seed: FILE:LINE`` names a real line holding its command is checked in
test_sources.py, against the documents when they are present and against their index when not."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml
from kube import Result, SimServer

FILES = Path(__file__).parent / "seed_files"
STEPS: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "seed_commands.yaml").read_text())


def _expand(server: SimServer, env: dict[str, str], text: str) -> list[str]:
    def pod(match: re.Match[str]) -> str:
        ns, selector = match.group(1), match.group(2)
        out = server.run("get", "pods", "-n", ns, "-l", selector, "-o", "jsonpath={.items[0].metadata.name}", env=env)
        return out.stdout.strip()

    text = re.sub(r"\{file:([^}]+)\}", lambda m: str(FILES / m.group(1)), text)
    text = re.sub(r"\{pod:([^:}]+):([^}]+)\}", pod, text)
    return shlex.split(text)


def _follow(server: SimServer, args: list[str], env: dict[str, str]) -> Result:
    """A follow never ends by itself: read for a few seconds, then stop it as Ctrl+C would."""
    full_env = {"KUBECONFIG": env["KUBECONFIG"], "HOME": str(server.state_dir), "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen([str(server.kubectl), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=full_env)
    try:
        out, err = proc.communicate(timeout=4)
    except subprocess.TimeoutExpired:
        proc.terminate()
        out, err = proc.communicate(timeout=10)
    return Result(0, out, err)


def test_every_seed_command(sim: SimServer, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    shutil.copy(sim.kubeconfig, kubeconfig)  # set-context must not leak into other tests
    env = {"KUBECONFIG": str(kubeconfig)}
    failures = []
    for step in STEPS:
        args = _expand(sim, env, step["run"])
        result = _follow(sim, args, env) if step["expect"] == "follow" else \
            sim.run(*args, env={**env, **step.get("env", {})}, timeout=180)
        expect = step["expect"]
        output = result.stdout + result.stderr
        problems = []
        if expect in ("ok", "follow") and not result.ok:
            problems.append(f"exit {result.code}")
        if expect in ("fail", "later") and result.ok:
            problems.append("succeeded but should fail")
        if expect == "later" and len(result.stderr.strip().splitlines()) != 1:
            problems.append("refusal is not one line")
        if "out" in step and not re.search(step["out"], output):
            problems.append(f"output does not match {step['out']!r}")
        if "err" in step and step["err"] not in result.stderr:
            problems.append(f"stderr lacks {step['err']!r}")
        if problems:
            failures.append(f"{step.get('seed', 'setup')}: kubectl {step['run']}: {'; '.join(problems)}\n"
                            f"  stdout: {result.stdout[-600:]!r}\n  stderr: {result.stderr[-600:]!r}")
    assert not failures, "\n".join(failures)
    assert sum(1 for s in STEPS if "seed" in s) >= 100
