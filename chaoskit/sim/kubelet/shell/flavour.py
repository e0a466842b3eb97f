"""BusyBox against GNU wording, in one table.

The same mistake reads differently in an alpine/busybox image and in a Debian-based one
(``cat: can't open 'x'`` against ``cat: x: No such file or directory``), and trainees learn to read
both. Each applet asks ``env.words`` for its message instead of testing the flavour itself, so a new
message is one field here with both wordings side by side.
"""

from __future__ import annotations

from dataclasses import dataclass

BUSYBOX_VERSION = "v1.36.1"


def busybox_usage(usage: str = "") -> str:
    """BusyBox's answer to a call it cannot parse: the banner, then the applet's usage line."""
    banner = f"BusyBox {BUSYBOX_VERSION} multi-call binary."
    return f"{banner}\n\nUsage: {usage}" if usage else banner


@dataclass(frozen=True)
class Wording:
    """Message templates; ``{name}`` and ``{path}`` are filled in by the applet."""

    not_found: str          # the shell cannot find a command
    sleep_usage: str        # sleep without an operand
    cat_is_dir: str
    cat_missing: str
    rm_missing: str
    ls_missing: str
    ls_missing_status: int  # GNU ls exits 2 on a missing operand, BusyBox 1
    id: str                 # id's whole output for root
    uname_os: str           # the last field of uname -a
    tar_no_op: str
    tar_not_archive: str


BUSYBOX = Wording(
    not_found="sh: {name}: not found",
    sleep_usage=busybox_usage(),
    cat_is_dir="cat: read error: Is a directory",
    cat_missing="cat: can't open '{path}': No such file or directory",
    rm_missing="rm: can't remove '{path}': No such file or directory",
    ls_missing="ls: {path}: No such file or directory",
    ls_missing_status=1,
    id="uid=0(root) gid=0(root) groups=0(root),1(bin),2(daemon),3(sys),4(adm),6(disk),10(wheel),11(floppy),"
       "20(dialout),26(tape),27(video)\n",
    uname_os="Linux",
    tar_no_op="tar: no operation specified",
    tar_not_archive="tar: short read",
)

GNU = Wording(
    not_found="sh: 1: {name}: not found",  # dash, /bin/sh on Debian and Ubuntu
    sleep_usage="sleep: missing operand",
    cat_is_dir="cat: {path}: Is a directory",
    cat_missing="cat: {path}: No such file or directory",
    rm_missing="rm: cannot remove '{path}': No such file or directory",
    ls_missing="ls: cannot access '{path}': No such file or directory",
    ls_missing_status=2,
    id="uid=0(root) gid=0(root) groups=0(root)\n",
    uname_os="GNU/Linux",
    tar_no_op="tar: You must specify one of the '-Acdtrux', '--delete' or '--test-label' options",
    tar_not_archive="tar: This does not look like a tar archive",
)


def wording(flavour: str) -> Wording:
    """``busybox`` images word errors as BusyBox does; every other flavour as GNU tools do."""
    return BUSYBOX if flavour == "busybox" else GNU
