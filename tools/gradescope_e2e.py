"""The Gradescope bundle end to end in a clean Debian root: set up as Gradescope would, then graded.

    sudo .venv/bin/python -m tools.gradescope_e2e --week 1 [--record bench/gradescope_e2e.md] [--keep]

(`make gradescope-e2e WEEK=1` runs it and records the run.) Steps:

1. the week's autograder zip (`autograder/gradescope.py`), unpacked into `<root>/autograder/source`,
   with `run_autograder` copied to `<root>/autograder/run_autograder`, as Gradescope lays them out;
2. a clean Debian root (`debootstrap --variant=minbase`, Debian 12 "bookworm" by default) from the
   Debian package registry: no Python, no pip, nothing of the host's;
3. `setup.sh` run in that root as root, as Gradescope runs it when it builds the image: it must
   install a Python (from Debian's packages) and the pinned dependencies by itself;
4. `run_autograder` on the reference submission, as Gradescope runs it for one submission; the run
   passes only with full marks in `results.json` (valid against Gradescope's schema).

What the root gets from the host, and why: `/etc/resolv.conf` (name lookups), and the host's pip
configuration for the one thing these machines cannot reach. `setup.sh` takes torch's CPU build from
the PyTorch CPU index, which is unreachable here; the host keeps that wheel in its find-links folder
and reaches PyPI through a proxy whose CA is in its own bundle. So setup.sh runs with
PIP_FIND_LINKS (the host's folder, bind-mounted read-only), PIP_CERT (a copy of the host's CA
bundle) and PIP_RETRIES=0 (each failed look-up at the unreachable index costs one DNS query instead
of five retries). On Gradescope none of them is needed. The root is bound onto itself (a mount
point, as a container's root is) and gets /proc and /dev, all in a private mount namespace that ends
with each step; /sys is not mounted, so the grader inside runs without cgroups, on its per-process
limits.

Needs root, `debootstrap` (installed from apt if missing), the network to the Debian and PyPI
registries, and about 2 GB of disk; about 5 to 10 minutes on 2 cores.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from autograder import examples, gradescope
from autograder.weeks import ROOT, Week, get_week

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
HOST_PIP = "/host-pip"  # inside the root: the host's find-links folder (read-only) and CA bundle


@dataclass
class Config:
    week: Week
    workdir: Path
    suite: str = "bookworm"
    mirror: str = "http://deb.debian.org/debian"
    find_links: Path | None = None  # the host's pip find-links folder (PIP_FIND_LINKS or pip's config)
    ca_bundle: Path | None = None   # the host's CA bundle (PIP_CERT or pip's config)


@dataclass
class Outcome:
    score: float = 0.0
    max_score: float = 0.0
    python: str = ""
    isolation: str = ""
    wall_s: dict[str, float] = field(default_factory=dict)
    cpu_s: dict[str, float] = field(default_factory=dict)
    results: dict | None = None

    @property
    def full_marks(self) -> bool:
        return self.max_score > 0 and self.score == self.max_score


def host_pip_setting(env_name: str, option: str) -> Path | None:
    """A path from the host's pip settings (`option`: "find-links", "cert"): the environment first,
    then pip's configuration files, as `pip config list` shows them."""
    value = os.environ.get(env_name, "")
    if not value:
        done = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True)
        for line in done.stdout.splitlines():
            key, _, quoted = line.partition("=")
            if key.endswith(f".{option}"):
                value = quoted.strip("'\"")
    paths = [Path(v) for v in value.split() if "://" not in v]
    return paths[0] if paths and paths[0].exists() else None


def _timed(outcome: Outcome, phase: str, argv: list[str], log: Path) -> None:
    """Run argv with output to `log`; record its wall and CPU seconds (CPU of all its descendants)."""
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    with open(log, "w") as out:
        done = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    outcome.wall_s[phase] = round(time.monotonic() - start, 1)
    outcome.cpu_s[phase] = round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1)
    print(f"gradescope-e2e: {phase}: {outcome.wall_s[phase]} s wall, {outcome.cpu_s[phase]} s CPU "
          f"(log: {log})", flush=True)
    if done.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
        raise RuntimeError(f"{phase} failed (exit {done.returncode}); end of {log}:\n{tail}")


def in_root(root: Path, command: str, env: dict[str, str], binds: dict[Path, str]) -> list[str]:
    """argv that runs `command` (bash) as root inside `root`, with /proc, /dev and the read-only
    `binds` ({host path: path inside}) mounted in a private mount namespace that ends with it."""
    r = shlex.quote(str(root))
    # The root bound onto itself is a mount point, as a container's root is: the grader's sandbox
    # inside needs that to make its own mounts private (`unshare --propagation private`).
    lines = ["set -e", f"mount --bind {r} {r}", f"mount -t proc proc {r}/proc", f"mount --rbind /dev {r}/dev",
             f"mount --make-rslave {r}/dev"]
    for host, inside in binds.items():
        target = f"{r}{shlex.quote(inside)}"
        lines += [f"mkdir -p {target}", f"mount --bind {shlex.quote(str(host))} {target}",
                  f"mount -o remount,bind,ro {target}"]
    env_args = " ".join(shlex.quote(f"{k}={v}") for k, v in env.items())
    lines.append(f"exec chroot {r} /usr/bin/env -i {env_args} /bin/bash -c {shlex.quote(command)}")
    return ["unshare", "--mount", "--propagation", "private", "/bin/bash", "-c", "\n".join(lines)]


def mounted_below(path: Path) -> list[str]:
    """Mount points at or below `path` in this mount namespace (none may be left before deleting it)."""
    prefix = str(path.resolve())
    with open("/proc/self/mounts") as f:
        points = [line.split()[1].replace("\\040", " ") for line in f]
    return [p for p in points if p == prefix or p.startswith(prefix + "/")]


def remove_root(root: Path) -> None:
    left = mounted_below(root)
    if left:
        raise RuntimeError(f"not deleting {root}: still mounted there: {left}")
    shutil.rmtree(root, ignore_errors=True)


def ensure_debootstrap() -> None:
    if shutil.which("debootstrap"):
        return
    print("gradescope-e2e: installing debootstrap from apt", flush=True)
    subprocess.run(["apt-get", "update", "-q"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-q", "debootstrap"], check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def run(cfg: Config, keep: bool = False) -> Outcome:
    """Build the root, run setup.sh and run_autograder in it; the outcome holds the score."""
    if os.geteuid() != 0:
        raise PermissionError("the Gradescope end-to-end run needs root (debootstrap, chroot, mounts)")
    ensure_debootstrap()
    outcome = Outcome()
    cfg.workdir.mkdir(parents=True, exist_ok=True)
    root = cfg.workdir / "root"
    remove_root(root)
    try:
        _timed(outcome, "debootstrap", ["debootstrap", "--variant=minbase", cfg.suite, str(root), cfg.mirror],
               cfg.workdir / "debootstrap.log")
        shutil.copy("/etc/resolv.conf", root / "etc" / "resolv.conf")

        source = root / "autograder" / "source"
        with zipfile.ZipFile(gradescope.build(cfg.week, cfg.workdir / "autograder.zip")) as archive:
            archive.extractall(source)
        for script in ("setup.sh", "run_autograder"):  # zipfile drops the mode bits
            (source / script).chmod(0o755)
        shutil.copy(source / "run_autograder", root / "autograder" / "run_autograder")
        reference = examples.build(cfg.week, cfg.workdir / "examples")[examples.NAMES.index("reference")]
        shutil.copytree(reference, root / "autograder" / "submission")

        env = {"PATH": SYSTEM_PATH, "HOME": "/root", "LANG": "C.UTF-8"}
        setup_env, binds = dict(env), {}
        if cfg.find_links:
            binds[cfg.find_links] = f"{HOST_PIP}/find-links"
            setup_env["PIP_FIND_LINKS"] = f"{HOST_PIP}/find-links"
        if cfg.ca_bundle:
            (root / HOST_PIP.lstrip("/")).mkdir(parents=True, exist_ok=True)
            shutil.copy(cfg.ca_bundle, root / HOST_PIP.lstrip("/") / "ca.crt")
            setup_env["PIP_CERT"] = f"{HOST_PIP}/ca.crt"
        setup_env["PIP_RETRIES"] = "0"
        _timed(outcome, "setup.sh", in_root(root, "cd /autograder/source && ./setup.sh", setup_env, binds),
               cfg.workdir / "setup.log")
        probe = subprocess.run(in_root(root, "cd /autograder/source && /autograder/venv/bin/python -c "
                                             "'import sys, torch; from autograder.sandbox import isolation_mode; "
                                             "print(sys.version.split()[0], torch.__version__, isolation_mode())'",
                                       env, {}), capture_output=True, text=True)
        if probe.returncode != 0:
            raise RuntimeError(f"the root's venv does not import torch and the grader: {probe.stderr[-2000:]}")
        *versions, outcome.isolation = probe.stdout.split()
        outcome.python = ", ".join(versions)

        _timed(outcome, "run_autograder", in_root(root, "cd /autograder && /autograder/run_autograder", env, {}),
               cfg.workdir / "run_autograder.log")
        results_path = root / "autograder" / "results" / "results.json"
        outcome.results = json.loads(results_path.read_text())
        import jsonschema
        jsonschema.validate(outcome.results, json.loads((ROOT / "autograder" / "gradescope_schema.json").read_text()))
        outcome.score = outcome.results["score"]
        outcome.max_score = sum(t["max_score"] for t in outcome.results["tests"])
        shutil.copy(results_path, cfg.workdir / "results.json")
    finally:
        if not keep:
            remove_root(root)
    return outcome


def record(path: Path, cfg: Config, outcome: Outcome, started: datetime, load: float) -> None:
    """Add one row to the record (a Markdown table; earlier rows are kept)."""
    header = ("# Gradescope bundle, end to end in a clean Debian root\n\n"
              "Each row is one run of `make gradescope-e2e` (`tools/gradescope_e2e.py`): debootstrap "
              "(minbase) from the Debian package registry, the week's `setup.sh` run in that root as "
              "Gradescope runs it, then `run_autograder` on the reference submission. The host lends "
              "the root its pip find-links folder (torch's CPU wheel), its CA bundle and PIP_RETRIES=0, "
              "because the PyTorch CPU index that setup.sh names is unreachable here. Times are wall "
              "seconds (CPU seconds of the run's processes in brackets) on a machine shared with other "
              "jobs.\n\n"
              "| date (UTC) | week | root | Python, torch in the root | debootstrap s | setup.sh s | "
              "run_autograder s | the three, s | score | isolation inside | host load at start |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|\n")
    text = path.read_text() if path.exists() else header

    def cell(phase: str) -> str:
        return f"{outcome.wall_s.get(phase, '-')} ({outcome.cpu_s.get(phase, '-')})"

    row = (f"| {started:%Y-%m-%d %H:%M} | {cfg.week.folder} | Debian {cfg.suite} minbase, "
           f"{platform.machine()} | {outcome.python} | {cell('debootstrap')} | {cell('setup.sh')} | "
           f"{cell('run_autograder')} | {sum(outcome.wall_s.values()):.1f} ({sum(outcome.cpu_s.values()):.1f}) | "
           f"{outcome.score:g} / {outcome.max_score:g} | {outcome.isolation} | "
           f"{load:.1f} |\n")
    path.write_text(text + row)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.gradescope_e2e", description=__doc__.split("\n")[0])
    parser.add_argument("--week", default="1")
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "gradescope-e2e")
    parser.add_argument("--suite", default="bookworm")
    parser.add_argument("--mirror", default="http://deb.debian.org/debian")
    parser.add_argument("--record", type=Path, help="add a row to this Markdown record (bench/gradescope_e2e.md)")
    parser.add_argument("--keep", action="store_true", help="keep the root afterwards, to look into it")
    args = parser.parse_args(argv)
    cfg = Config(week=get_week(args.week), workdir=args.workdir, suite=args.suite, mirror=args.mirror,
                 find_links=host_pip_setting("PIP_FIND_LINKS", "find-links"),
                 ca_bundle=host_pip_setting("PIP_CERT", "cert"))
    print(f"gradescope-e2e: {cfg.week.folder} in a clean Debian {cfg.suite} root under {cfg.workdir}; "
          f"host pip find-links: {cfg.find_links}, CA bundle: {cfg.ca_bundle}", flush=True)
    started, load = datetime.now(timezone.utc), os.getloadavg()[0]
    outcome = run(cfg, keep=args.keep)
    print(f"gradescope-e2e: Python, torch in the root: {outcome.python}; score {outcome.score:g} / "
          f"{outcome.max_score:g}; isolation inside: {outcome.isolation}")
    if args.record:
        record(args.record, cfg, outcome, started, load)
    if not outcome.full_marks:
        lost = [t["name"] for t in (outcome.results or {}).get("tests", []) if t["score"] < t["max_score"]]
        print(f"gradescope-e2e: FAILED: the reference lost points in {lost}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
