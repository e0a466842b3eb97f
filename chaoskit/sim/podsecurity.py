"""Pod Security admission, as k8s.io/pod-security-admission enforces it (read from its policy/ and
admission/ packages at the v1.37 line).

A namespace's ``pod-security.kubernetes.io/{enforce,audit,warn}`` labels (with ``-version``:
``latest`` or ``v1.x``) choose a level. Pods that break the enforce level are refused::

    pods "x" is forbidden: violates PodSecurity "baseline:latest": host namespaces
    (hostNetwork=true), hostPath volumes (volume "root"), privileged (container "c" must not set
    securityContext.privileged=true)

Workload objects (Deployments and the other pod templates) are never refused, only warned
(``would violate PodSecurity "restricted:latest": ...``); their pods are refused when the
controller creates them. The default configuration is kube-apiserver's and kind's: privileged
everywhere unless labelled, no exempt namespaces, users or runtime classes.

Each check is one function returning (reason, detail) or None; checks run baseline first then
restricted, each group in sorted check-ID order, as the registry orders them. Which checks apply
(and which variant) depends on the policy version, from each check's MinimumVersion.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chaoskit.kube.status import Forbidden, invalid

LABEL = "pod-security.kubernetes.io/"
LEVELS = ("privileged", "baseline", "restricted")
LATEST = (1, 37)  # the newest MinimumVersion among the checks: "latest" and later versions evaluate as this
Version = tuple[int, int]
Result = tuple[str, str] | None
Check = Callable[[dict[str, Any], dict[str, Any], Version], Result]
TEMPLATE_PATHS = {"Deployment": ("spec", "template"), "ReplicaSet": ("spec", "template"),
                  "DaemonSet": ("spec", "template"), "Job": ("spec", "template"),
                  "StatefulSet": ("spec", "template"), "ReplicationController": ("spec", "template"),
                  "CronJob": ("spec", "jobTemplate", "spec", "template")}
IGNORED_POD_SUBRESOURCES = frozenset({"exec", "attach", "binding", "eviction", "log", "portforward", "proxy",
                                      "status"})


@dataclass(frozen=True)
class LevelVersion:
    level: str
    version: Version | None  # None is "latest"

    def __str__(self) -> str:
        return f"{self.level}:{'latest' if self.version is None else f'v{self.version[0]}.{self.version[1]}'}"

    @property
    def effective(self) -> Version:
        return LATEST if self.version is None or self.version > LATEST else self.version


@dataclass(frozen=True)
class Policy:
    enforce: LevelVersion
    audit: LevelVersion
    warn: LevelVersion


DEFAULT = LevelVersion("privileged", None)


def _parse_version(text: str) -> tuple[Version | None, str | None]:
    if text == "latest":
        return None, None
    if text.startswith("v1.") and text[3:].isdigit() and (text[3:] == "0" or not text[3:].startswith("0")):
        return (1, int(text[3:])), None
    return None, 'must be "latest" or "v1.x"'


def policy_of(labels: dict[str, Any] | None) -> tuple[Policy, list[tuple[str, str, str]]]:
    """api.PolicyToEvaluate: the namespace's policy and the label errors (a bad enforce level
    fails closed to restricted; a bad warn or audit level fails open to privileged)."""
    labels = labels or {}
    errors: list[tuple[str, str, str]] = []
    levels: dict[str, str] = {}
    versions: dict[str, Version | None] = {}
    for mode in ("enforce", "audit", "warn"):
        key = LABEL + mode
        if key in labels:
            value = str(labels[key])
            if value in LEVELS:
                levels[mode] = value
            else:
                levels[mode] = "restricted" if mode == "enforce" else "privileged"
                errors.append((key, value, "must be one of " + ", ".join(LEVELS)))
        vkey = f"{key}-version"
        if vkey in labels:
            version, error = _parse_version(str(labels[vkey]))
            versions[mode] = version
            if error:
                errors.append((vkey, str(labels[vkey]), error))
    enforce = LevelVersion(levels.get("enforce", "privileged"), versions.get("enforce"))
    audit = LevelVersion(levels.get("audit", "privileged"), versions.get("audit"))
    warn = LevelVersion(levels.get("warn", "privileged"), versions.get("warn"))
    enforce_ok = (LABEL + "enforce") in labels and str(labels[LABEL + "enforce"]) in LEVELS
    if (LABEL + "warn") not in labels and enforce_ok and LEVELS.index(enforce.level) > LEVELS.index(warn.level):
        warn = LevelVersion(enforce.level, versions.get("warn", enforce.version))
    return Policy(enforce, audit, warn), errors


# ---------------------------------------------------------------------------- helpers


def _quote(items: list[str]) -> str:
    return '"' + '", "'.join(items) + '"' if items else ""


def _plural(singular: str, plural: str, count: int) -> str:
    return singular if count == 1 else plural


def _containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """visitContainers: init containers, containers, then ephemeral containers."""
    out = []
    for group in ("initContainers", "containers", "ephemeralContainers"):
        out += [c for c in spec.get(group) or [] if isinstance(c, dict)]
    return out


def _sc(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("securityContext") or {}


def _windows(spec: dict[str, Any]) -> bool:
    return (spec.get("os") or {}).get("name") == "windows"


def _userns(spec: dict[str, Any]) -> bool:
    return spec.get("hostUsers") is False


def _setters(pod_bad: bool, containers: list[str]) -> list[str]:
    setters = ["pod"] if pod_bad else []
    if containers:
        setters.append(f"{_plural('container', 'containers', len(containers))} {_quote(containers)}")
    return setters


# ---------------------------------------------------------------------------- baseline checks


def app_armor(meta: dict[str, Any], spec: dict[str, Any], v: Version) -> Result:
    allowed = ("RuntimeDefault", "Localhost")
    bad_values: set[str] = set()
    pod_profile = _sc(spec).get("appArmorProfile")
    pod_bad = isinstance(pod_profile, dict) and pod_profile.get("type") not in allowed
    if pod_bad:
        bad_values.add(str(pod_profile.get("type", "")))  # type: ignore[union-attr]
    bad = []
    for c in _containers(spec):
        profile = _sc(c).get("appArmorProfile")
        if isinstance(profile, dict) and profile.get("type") not in allowed:
            bad.append(c.get("name", ""))
            bad_values.add(str(profile.get("type", "")))
    setters = _setters(pod_bad, bad)
    annotations = sorted(f'{k}="{v}"' for k, v in (meta.get("annotations") or {}).items()
                         if str(k).startswith("container.apparmor.security.beta.kubernetes.io/")
                         and not (v in ("", "runtime/default") or str(v).startswith("localhost/")))
    values = sorted(bad_values)
    if annotations:
        values += annotations
        setters.append(_plural("annotation", "annotations", len(annotations)))
    if not setters:
        return None
    return (_plural("forbidden AppArmor profile", "forbidden AppArmor profiles", len(values)),
            f"{' and '.join(setters)} must not set AppArmor profile type to {_quote(values)}")


CAPS_ALLOWED = frozenset({"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                          "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"})


def capabilities_baseline(meta: dict[str, Any], spec: dict[str, Any], v: Version) -> Result:
    bad, caps = [], set()
    for c in _containers(spec):
        extra = [str(x) for x in (_sc(c).get("capabilities") or {}).get("add") or [] if x not in CAPS_ALLOWED]
        if extra:
            bad.append(c.get("name", ""))
            caps.update(extra)
    if not bad:
        return None
    return ("non-default capabilities", f"{_plural('container', 'containers', len(bad))} {_quote(bad)} must not "
                                        f"include {_quote(sorted(caps))} in securityContext.capabilities.add")


def host_namespaces(meta: dict[str, Any], spec: dict[str, Any], v: Version) -> Result:
    found = [f"{key}=true" for key in ("hostNetwork", "hostPID", "hostIPC") if spec.get(key) is True]
    return ("host namespaces", ", ".join(found)) if found else None


def host_path_volumes(meta: dict[str, Any], spec: dict[str, Any], v: Version) -> Result:
    names = [vol.get("name", "") for vol in spec.get("volumes") or [] if isinstance(vol, dict) and vol.get("hostPath")]
    return ("hostPath volumes", f"{_plural('volume', 'volumes', len(names))} {_quote(names)}") if names else None


def host_ports(meta: dict[str, Any], spec: dict[str, Any], v: Version) -> Result:
    bad: list[str] = []
    ports: set[str] = set()
    for c in _containers(spec):
        used = [p.get("hostPort") for p in c.get("ports") or [] if isinstance(p, dict) and p.get("hostPort")]
        if used:
            bad.append(c.get("name", ""))
            ports.update(str(p) for p in used)
    if not bad:
        return None
    return ("hostPort", f"{_plural('container', 'containers', len(bad))} {_quote(bad)} "
                        f"{_plural('uses', 'use', len(bad))} {_plural('hostPort', 'hostPorts', len(ports))} "
                        f"{', '.join(sorted(ports))}")


def _hosts(handler: Any) -> list[str]:
    if not isinstance(handler, dict):
        return []
    return [str(h["host"]) for key in ("httpGet", "tcpSocket")
            if isinstance(h := handler.get(key), dict) and h.get("host")]


def host_probes(meta: dict[str, Any], spec: dict[str, Any], v: Version) -> Result:
    bad, hosts = set(), set()
    for c in _containers(spec):
        lifecycle = c.get("lifecycle") or {}
        found = [h for key in ("livenessProbe", "readinessProbe", "startupProbe") for h in _hosts(c.get(key))]
        found += [h for key in ("postStart", "preStop") for h in _hosts(lifecycle.get(key))]
        if found:
            bad.add(c.get("name", ""))
            hosts.update(found)
    if not bad:
        return None
    return ("probe or lifecycle host",
            f"{_plural('container', 'containers', len(bad))} {_quote(sorted(bad))} {_plural('uses', 'use', len(bad))} "
            f"{_plural('probe or lifecycle host', 'probe or lifecycle hosts', len(hosts))} {_quote(sorted(hosts))}")


def privileged(meta: dict[str, Any], spec: dict[str, Any], v: Version) -> Result:
    bad = [c.get("name", "") for c in _containers(spec) if _sc(c).get("privileged") is True]
    if not bad:
        return None
    return ("privileged", f"{_plural('container', 'containers', len(bad))} {_quote(bad)} must not set "
                          "securityContext.privileged=true")


def proc_mount(meta: dict[str, Any], spec: dict[str, Any], v: Version) -> Result:
    if v >= (1, 35) and _userns(spec):
        return None
    bad, types = [], set()
    for c in _containers(spec):
        mount = _sc(c).get("procMount")
        if mount is not None and mount != "Default":
            bad.append(c.get("name", ""))
            types.add(str(mount))
    if not bad:
        return None
    return ("procMount", f"{_plural('container', 'containers', len(bad))} {_quote(bad)} must not set "
                         f"securityContext.procMount to {_quote(sorted(types))}")


def se_linux(meta: dict[str, Any], spec: dict[str, Any], v: Version) -> Result:
    allowed = {"", "container_t", "container_init_t", "container_kvm_t"}
    if v >= (1, 31):
        allowed.add("container_engine_t")
    bad_types: set[str] = set()
    flags = {"user": False, "role": False}

    def valid(opts: dict[str, Any]) -> bool:
        ok = True
        if str(opts.get("type", "")) not in allowed:
            ok = False
            bad_types.add(str(opts.get("type", "")))
        for key in ("user", "role"):
            if opts.get(key):
                ok = False
                flags[key] = True
        return ok

    pod_opts = _sc(spec).get("seLinuxOptions")
    pod_bad = isinstance(pod_opts, dict) and not valid(pod_opts)
    bad = [c.get("name", "") for c in _containers(spec)
           if isinstance(opts := _sc(c).get("seLinuxOptions"), dict) and not valid(opts)]
    setters = _setters(pod_bad, bad)
    if not setters:
        return None
    data = []
    if bad_types:
        data.append(f"{_plural('type', 'types', len(bad_types))} {_quote(sorted(bad_types))}")
    if flags["user"]:
        data.append("user may not be set")
    if flags["role"]:
        data.append("role may not be set")
    return ("seLinuxOptions", f"{' and '.join(setters)} set forbidden securityContext.seLinuxOptions: "
                              f"{'; '.join(data)}")


def _seccomp_ok(profile: Any) -> bool:
    return isinstance(profile, dict) and profile.get("type") in ("Localhost", "RuntimeDefault")


def seccomp_baseline(meta: dict[str, Any], spec: dict[str, Any], v: Version) -> Result:
    if v < (1, 19):
        annotations = meta.get("annotations") or {}
        keys = ["seccomp.security.alpha.kubernetes.io/pod"] + [
            "container.seccomp.security.alpha.kubernetes.io/" + str(c.get("name", "")) for c in _containers(spec)]
        forbidden = sorted({f'{k}="{annotations[k]}"' for k in keys if k in annotations and not (
            annotations[k] in ("runtime/default", "docker/default") or str(annotations[k]).startswith("localhost/"))})
        if not forbidden:
            return None
        return ("seccompProfile", f"forbidden {_plural('annotation', 'annotations', len(forbidden))} "
                                  f"{', '.join(forbidden)}")
    values: set[str] = set()
    pod_profile = _sc(spec).get("seccompProfile")
    pod_bad = pod_profile is not None and not _seccomp_ok(pod_profile)
    if pod_bad:
        values.add(str((pod_profile or {}).get("type", "")))
    bad = []
    for c in _containers(spec):
        profile = _sc(c).get("seccompProfile")
        if profile is not None and not _seccomp_ok(profile):
            bad.append(c.get("name", ""))
            values.add(str((profile or {}).get("type", "")))
    setters = _setters(pod_bad, bad)
    if not setters:
        return None
    return ("seccompProfile", f"{' and '.join(setters)} must not set securityContext.seccompProfile.type to "
                              f"{_quote(sorted(values))}")


SYSCTLS = [((1, 0), {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
                     "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"}),
           ((1, 27), {"net.ipv4.ip_local_reserved_ports"}),
           ((1, 29), {"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
                      "net.ipv4.tcp_keepalive_probes"}),
           ((1, 32), {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}),
           ((1, 37), {"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"})]


def sysctls(meta: dict[str, Any], spec: dict[str, Any], v: Version) -> Result:
    allowed = set().union(*(names for since, names in SYSCTLS if v >= since))
    bad = [str(s.get("name", "")) for s in _sc(spec).get("sysctls") or []
           if isinstance(s, dict) and s.get("name") not in allowed]
    return ("forbidden sysctls", ", ".join(bad)) if bad else None


def windows_host_process(meta: dict[str, Any], spec: dict[str, Any], v: Version) -> Result:
    pod_bad = (_sc(spec).get("windowsOptions") or {}).get("hostProcess") is True
    bad = [c.get("name", "") for c in _containers(spec) if (_sc(c).get("windowsOptions") or {}).get("hostProcess")
           is True]
    setters = _setters(pod_bad, bad)
    if not setters:
        return None
    return ("hostProcess", f"{' and '.join(setters)} must not set securityContext.windowsOptions.hostProcess=true")


# ---------------------------------------------------------------------------- restricted checks


def allow_privilege_escalation(meta: dict[str, Any], spec: dict[str, Any], v: Version) -> Result:
    if v >= (1, 25) and _windows(spec):
        return None
    bad = [c.get("name", "") for c in _containers(spec) if _sc(c).get("allowPrivilegeEscalation") is not False]
    if not bad:
        return None
    return ("allowPrivilegeEscalation != false", f"{_plural('container', 'containers', len(bad))} {_quote(bad)} "
                                                 "must set securityContext.allowPrivilegeEscalation=false")


def capabilities_restricted(meta: dict[str, Any], spec: dict[str, Any], v: Version) -> Result:
    if v >= (1, 25) and _windows(spec):
        return None
    missing, adding, caps = [], [], set()
    for c in _containers(spec):
        capabilities = _sc(c).get("capabilities")
        if not isinstance(capabilities, dict):
            missing.append(c.get("name", ""))
            continue
        if "ALL" not in (capabilities.get("drop") or []):
            missing.append(c.get("name", ""))
        extra = [str(x) for x in capabilities.get("add") or [] if x != "NET_BIND_SERVICE"]
        if extra:
            adding.append(c.get("name", ""))
            caps.update(extra)
    details = []
    if missing:
        details.append(f"{_plural('container', 'containers', len(missing))} {_quote(missing)} must set "
                       'securityContext.capabilities.drop=["ALL"]')
    if adding:
        details.append(f"{_plural('container', 'containers', len(adding))} {_quote(adding)} must not include "
                       f"{_quote(sorted(caps))} in securityContext.capabilities.add")
    return ("unrestricted capabilities", "; ".join(details)) if details else None


def proc_mount_restricted(meta: dict[str, Any], spec: dict[str, Any], v: Version) -> Result:
    bad, types = [], set()
    for c in _containers(spec):
        mount = _sc(c).get("procMount")
        if mount is not None and mount != "Default":
            bad.append(c.get("name", ""))
            types.add(str(mount))
    if not bad:
        return None
    return ("procMount", f"{_plural('container', 'containers', len(bad))} {_quote(bad)} must not set "
                         f"securityContext.procMount to {_quote(sorted(types))}")


ALLOWED_VOLUMES = ("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim",
                   "projected", "secret")
VOLUME_TYPES = ("hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi", "glusterfs",
                "rbd", "flexVolume", "cinder", "cephfs", "flocker", "fc", "azureFile", "vsphereVolume", "quobyte",
                "azureDisk", "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos")


def restricted_volumes(meta: dict[str, Any], spec: dict[str, Any], v: Version) -> Result:
    bad, types = [], set()
    for vol in spec.get("volumes") or []:
        if not isinstance(vol, dict) or any(vol.get(k) is not None for k in ALLOWED_VOLUMES):
            continue
        bad.append(vol.get("name", ""))
        types.add(next((t for t in VOLUME_TYPES if vol.get(t) is not None), "unknown"))
    if not bad:
        return None
    return ("restricted volume types",
            f"{_plural('volume', 'volumes', len(bad))} {_quote(bad)} {_plural('uses', 'use', len(bad))} "
            f"{_plural('restricted volume type', 'restricted volume types', len(types))} {_quote(sorted(types))}")


def run_as_non_root(meta: dict[str, Any], spec: dict[str, Any], v: Version) -> Result:
    if v >= (1, 35) and _userns(spec):
        return None
    pod_value = _sc(spec).get("runAsNonRoot")
    pod_bad, pod_ok = pod_value is False, pod_value is True
    explicit, implicit = [], []
    for c in _containers(spec):
        value = _sc(c).get("runAsNonRoot")
        if value is not None:
            if value is False:
                explicit.append(c.get("name", ""))
        elif not pod_ok:
            implicit.append(c.get("name", ""))
    setters = _setters(pod_bad, explicit)
    if setters:
        return ("runAsNonRoot != true", f"{' and '.join(setters)} must not set securityContext.runAsNonRoot=false")
    if implicit:
        return ("runAsNonRoot != true", f"pod or {_plural('container', 'containers', len(implicit))} "
                                        f"{_quote(implicit)} must set securityContext.runAsNonRoot=true")
    return None


def run_as_user(meta: dict[str, Any], spec: dict[str, Any], v: Version) -> Result:
    if v >= (1, 35) and _userns(spec):
        return None
    pod_bad = _is_root(_sc(spec).get("runAsUser"))
    bad = [c.get("name", "") for c in _containers(spec) if _is_root(_sc(c).get("runAsUser"))]
    setters = _setters(pod_bad, bad)
    return ("runAsUser=0", f"{' and '.join(setters)} must not set runAsUser=0") if setters else None


def _is_root(uid: Any) -> bool:
    return isinstance(uid, int) and not isinstance(uid, bool) and uid == 0


def seccomp_restricted(meta: dict[str, Any], spec: dict[str, Any], v: Version) -> Result:
    if v >= (1, 25) and _windows(spec):
        return None
    values: set[str] = set()
    pod_profile = _sc(spec).get("seccompProfile")
    pod_bad = pod_profile is not None and not _seccomp_ok(pod_profile)
    pod_set = pod_profile is not None and not pod_bad
    if pod_bad:
        values.add(str((pod_profile or {}).get("type", "")))
    explicit, implicit = [], []
    for c in _containers(spec):
        profile = _sc(c).get("seccompProfile")
        if profile is not None:
            if not _seccomp_ok(profile):
                explicit.append(c.get("name", ""))
                values.add(str((profile or {}).get("type", "")))
        elif not pod_set:
            implicit.append(c.get("name", ""))
    setters = _setters(pod_bad, explicit)
    if setters:
        return ("seccompProfile", f"{' and '.join(setters)} must not set securityContext.seccompProfile.type to "
                                  f"{_quote(sorted(values))}")
    if implicit:
        return ("seccompProfile", f"pod or {_plural('container', 'containers', len(implicit))} {_quote(implicit)} "
                                  'must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"')
    return None


# (id, level, minimum version, overridden baseline ids with the version they start at, check)
CHECKS: list[tuple[str, str, Version, tuple[tuple[str, Version], ...], Check]] = [
    ("allowPrivilegeEscalation", "restricted", (1, 8), (), allow_privilege_escalation),
    ("appArmorProfile", "baseline", (1, 0), (), app_armor),
    ("capabilities_baseline", "baseline", (1, 0), (), capabilities_baseline),
    ("capabilities_restricted", "restricted", (1, 22), (("capabilities_baseline", (1, 22)),),
     capabilities_restricted),
    ("hostNamespaces", "baseline", (1, 0), (), host_namespaces),
    ("hostPathVolumes", "baseline", (1, 0), (), host_path_volumes),
    ("hostPorts", "baseline", (1, 0), (), host_ports),
    ("hostProbesAndHostLifecycle", "baseline", (1, 34), (), host_probes),
    ("privileged", "baseline", (1, 0), (), privileged),
    ("procMount", "baseline", (1, 0), (), proc_mount),
    ("procMount_restricted", "restricted", (1, 35), (("procMount", (1, 35)),), proc_mount_restricted),
    ("restrictedVolumes", "restricted", (1, 0), (("hostPathVolumes", (1, 0)),), restricted_volumes),
    ("runAsNonRoot", "restricted", (1, 0), (), run_as_non_root),
    ("runAsUser", "restricted", (1, 23), (), run_as_user),
    ("seLinuxOptions", "baseline", (1, 0), (), se_linux),
    ("seccompProfile_baseline", "baseline", (1, 0), (), seccomp_baseline),
    ("seccompProfile_restricted", "restricted", (1, 19), (("seccompProfile_baseline", (1, 19)),),
     seccomp_restricted),
    ("sysctls", "baseline", (1, 0), (), sysctls),
    ("windowsHostProcess", "baseline", (1, 0), (), windows_host_process),
]
_ORDER = sorted(c for c in CHECKS if c[1] == "baseline") + sorted(c for c in CHECKS if c[1] == "restricted")


def evaluate(lv: LevelVersion, meta: dict[str, Any], spec: dict[str, Any]) -> list[tuple[str, str]]:
    """Every failed check's (reason, detail), in the registry's order; empty means allowed."""
    if lv.level == "privileged":
        return []
    v = lv.effective
    active = [c for c in _ORDER if c[2] <= v and (c[1] == "baseline" or lv.level == "restricted")]
    overridden = {base for c in active if c[1] == "restricted" for base, since in c[3] if since <= v}
    failures = []
    for check_id, _, _, _, fn in active:
        if check_id in overridden:
            continue
        result = fn(meta, spec, v)
        if result is not None:
            failures.append(result)
    return failures


def forbidden_detail(failures: list[tuple[str, str]]) -> str:
    """AggregateCheckResult.ForbiddenDetail: ``reason (detail), reason (detail)``."""
    return ", ".join(f"{reason} ({detail})" if detail else reason for reason, detail in failures)


# ---------------------------------------------------------------------------- admission


def _namespace_labels(namespaces: Callable[[str], dict[str, Any] | None], name: str) -> dict[str, Any]:
    ns = namespaces(name)
    return ((ns or {}).get("metadata") or {}).get("labels") or {}


def _significant(pod: dict[str, Any], old: dict[str, Any]) -> bool:
    """isSignificantPodUpdate: container count or image changes, or new ephemeral containers."""
    new_spec, old_spec = pod.get("spec") or {}, old.get("spec") or {}
    for group in ("containers", "initContainers"):
        a, b = new_spec.get(group) or [], old_spec.get(group) or []
        if len(a) != len(b) or any(x.get("image") != y.get("image") for x, y in zip(a, b, strict=True)):
            return True
    old_eph = {c.get("name"): c for c in old_spec.get("ephemeralContainers") or []}
    return any(c.get("name") not in old_eph or c.get("image") != old_eph[c.get("name")].get("image")
               for c in new_spec.get("ephemeralContainers") or [])


def admit_pod(pod: dict[str, Any], labels: dict[str, Any], old: dict[str, Any] | None = None,
              subresource: str | None = None) -> list[str]:
    """ValidatePod: refuse (403) a pod that breaks the enforce level; return the warn-level warnings."""
    if subresource in IGNORED_POD_SUBRESOURCES:
        return []
    pol, _ = policy_of(labels)
    if pol.enforce.level == pol.audit.level == pol.warn.level == "privileged":
        return []
    if old is not None and not _significant(pod, old):
        return []
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    failures = evaluate(pol.enforce, meta, spec)
    if failures:
        name = str(meta.get("name", ""))
        raise Forbidden(f'pods "{name}" is forbidden: violates PodSecurity "{pol.enforce}": '
                        f"{forbidden_detail(failures)}", {"name": name, "kind": "pods"})
    return _warning(pol, meta, spec)


def _warning(pol: Policy, meta: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    failures = evaluate(pol.warn, meta, spec)
    return [f'would violate PodSecurity "{pol.warn}": {forbidden_detail(failures)}'] if failures else []


def admit_controller(obj: dict[str, Any], labels: dict[str, Any]) -> list[str]:
    """ValidatePodController: workloads are never refused, only warned about their pod template."""
    path = TEMPLATE_PATHS.get(str(obj.get("kind")))
    if path is None:
        return []
    pol, _ = policy_of(labels)
    if pol.warn.level == "privileged":
        return []
    template: Any = obj
    for part in path:
        template = template.get(part) if isinstance(template, dict) else None
    if not isinstance(template, dict):
        return []
    return _warning(pol, template.get("metadata") or {}, template.get("spec") or {})


def admit_namespace(ns: dict[str, Any], old: dict[str, Any] | None,
                    pods: Callable[[], list[dict[str, Any]]]) -> list[str]:
    """ValidateNamespace: bad policy labels are a 422; a tightened enforce level warns about existing pods."""
    labels = (ns.get("metadata") or {}).get("labels") or {}
    pol, errors = policy_of(labels)
    old_labels = ((old or {}).get("metadata") or {}).get("labels") or {}
    old_pol, old_errors = policy_of(old_labels)
    if errors and (old is None or errors != old_errors):
        name = str((ns.get("metadata") or {}).get("name", ""))
        causes = [("FieldValueInvalid", f"metadata.labels[{key}]", f'Invalid value: "{value}": {message}')
                  for key, value, message in errors]
        raise invalid("Namespace", name, causes)
    if old is None or pol.enforce == old_pol.enforce or pol.enforce.level == "privileged":
        return []
    if pol.enforce.version == old_pol.enforce.version and \
            LEVELS.index(pol.enforce.level) <= LEVELS.index(old_pol.enforce.level):
        return []
    counts: dict[str, list[Any]] = {}
    order: list[str] = []
    for pod in pods():
        failures = evaluate(pol.enforce, pod.get("metadata") or {}, pod.get("spec") or {})
        if not failures:
            continue
        reason = ", ".join(r for r, _ in failures)
        name = str(pod["metadata"].get("name", ""))
        if reason not in counts:
            counts[reason] = [name, 0]
            order.append(reason)
        elif name < counts[reason][0]:
            counts[reason][0] = name
        counts[reason][1] += 1
    if not order:
        return []
    namespace = str(ns["metadata"].get("name", ""))
    decorated = []
    for reason in order:
        first, count = counts[reason]
        others = "" if count == 1 else (" (and 1 other pod)" if count == 2 else f" (and {count - 1} other pods)")
        decorated.append(f"{first}{others}: {reason}")
    return [f'existing pods in namespace "{namespace}" violate the new PodSecurity enforce level "{pol.enforce}"',
            *sorted(decorated)]
