"""Files (applets/files.py): a flat path map, directories implied by the paths under them, errors
worded as the image's tools word them."""

from __future__ import annotations

import io
import tarfile

import pytest
from shell_helpers import Ran, make_env, sh

from chaoskit.sim.kubelet.shell import drain, run_argv
from chaoskit.sim.kubelet.shell.applets.files import tar

FILES = {"/etc/nginx/nginx.conf": "worker_processes 1;\n", "/etc/nginx/conf.d/default.conf": "server {}\n",
         "/tmp/note": "hi\n"}


@pytest.mark.parametrize(("flavour", "missing", "directory"), [
    ("busybox", "cat: can't open '/nope': No such file or directory\n", "cat: read error: Is a directory\n"),
    ("gnu", "cat: /nope: No such file or directory\n", "cat: /etc/nginx: Is a directory\n"),
])
def test_cat(flavour: str, missing: str, directory: str) -> None:
    assert sh("cat /tmp/note /etc/nginx/conf.d/default.conf", dict(FILES), flavour) == Ran(
        0, "hi\nserver {}\n", "", 0.0)
    assert sh("cat /nope", dict(FILES), flavour) == Ran(1, "", missing, 0.0)
    assert sh("cat /etc/nginx", dict(FILES), flavour) == Ran(1, "", directory, 0.0)
    assert sh("cd /tmp; cat note", dict(FILES), flavour).out == "hi\n"
    assert sh("echo piped | cat", dict(FILES), flavour).out == "piped\n"


@pytest.mark.parametrize(("flavour", "missing", "code"), [
    ("busybox", "ls: /srv: No such file or directory\n", 1),
    ("gnu", "ls: cannot access '/srv': No such file or directory\n", 2),
])
def test_ls(flavour: str, missing: str, code: int) -> None:
    assert sh("ls /etc/nginx", dict(FILES), flavour).out == "conf.d\nnginx.conf\n"
    assert sh("ls -l /tmp/note", dict(FILES), flavour).out == "note\n"
    assert sh("ls /", dict(FILES), flavour).out.split() == ["bin", "dev", "etc", "home", "lib", "proc", "root",
                                                           "sys", "tmp", "usr", "var"]
    assert sh("ls /var", dict(FILES), flavour) == Ran(0, "", "", 0.0)  # an image directory with nothing we model
    assert sh("ls /srv", dict(FILES), flavour) == Ran(code, "", missing, 0.0)
    both = sh("ls /tmp /etc/nginx/conf.d", dict(FILES), flavour)
    assert both.out == "/tmp:\nnote\n/etc/nginx/conf.d:\ndefault.conf\n"


@pytest.mark.parametrize(("flavour", "message"), [
    ("busybox", "rm: can't remove '/tmp/gone': No such file or directory\n"),
    ("gnu", "rm: cannot remove '/tmp/gone': No such file or directory\n"),
])
def test_touch_rm_mkdir(flavour: str, message: str) -> None:
    files = dict(FILES)
    assert sh("mkdir -p /tmp/d; touch /tmp/new; rm /tmp/note; rm -f /tmp/gone", files, flavour) == Ran(0, "", "", 0.0)
    assert "/tmp/new" in files and "/tmp/note" not in files
    assert sh("rm /tmp/gone", files, flavour) == Ran(1, "", message, 0.0)


def test_tar_round_trips_files_as_kubectl_cp_does() -> None:
    env, out, err = make_env(dict(FILES))
    assert drain(run_argv(["tar", "cf", "-", "/etc/nginx"], env)) == (0, 0.0)
    (archive,) = out
    assert isinstance(archive, bytes) and err == ["tar: removing leading '/' from member names\n"]
    with tarfile.open(fileobj=io.BytesIO(archive)) as listing:
        assert listing.getnames() == ["etc/nginx/conf.d/default.conf", "etc/nginx/nginx.conf"]
    target, _, _ = make_env({})
    target.stdin = archive.decode("latin-1")  # what the exec stream hands over
    assert tar(["xmf", "-", "-C", "/restore"], target) == 0
    assert target.files == {"/restore/etc/nginx/conf.d/default.conf": "server {}\n",
                            "/restore/etc/nginx/nginx.conf": "worker_processes 1;\n"}


@pytest.mark.parametrize(("flavour", "no_op", "not_archive"), [
    ("busybox", "tar: no operation specified\n", "tar: short read\n"),
    ("gnu", "tar: You must specify one of the '-Acdtrux', '--delete' or '--test-label' options\n",
     "tar: This does not look like a tar archive\n"),
])
def test_tar_errors(flavour: str, no_op: str, not_archive: str) -> None:
    assert sh("tar", flavour=flavour) == Ran(2, "", no_op, 0.0)
    assert sh("tar cf - /missing", flavour=flavour) == Ran(1, "", "tar: /missing: No such file or directory\n", 0.0)
    assert sh("echo junk | tar xf -", flavour=flavour) == Ran(1, "", not_archive, 0.0)
    assert sh("tar t", flavour=flavour) == Ran(2, "", "tar: unsupported mode t\n", 0.0)
