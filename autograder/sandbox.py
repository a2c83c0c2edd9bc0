"""The sandboxed child process that runs student code, and the one pipe protocol to talk to it.

Four isolation modes, the strongest that works, chosen once per grader process:

* **namespace** (root with mount namespaces, as in CI): util-linux only. `unshare` gives the child
  its own mount, network and PID namespaces; inside, a fresh tmpfs becomes its root filesystem with
  only the system directories and the Python installation (read-only) and a capped tmpfs working
  directory holding the submission. The repository, the hidden tests, the reference, the grades and
  every other user's files do not exist there. `chroot` into it, then `setpriv` drops to an
  unprivileged uid of the grader process's own (like `nobody`, but never shared by two concurrent
  sandboxes), with no capabilities and `no_new_privs`. The network namespace has only loopback (down);
  when the child's main process dies, the kernel kills everything else in its PID namespace.
  The child does not start a fresh Python: a fork server (runtime/forkserver.py), started once per grader
  (and shared by the batch workers it forks: batch.grade_many) from a fresh interpreter with a scrubbed
  environment, has imported torch and the runtime and
  forks a jailer per child, which builds the same jail with libc calls (unshare, mount, chroot, setresuid,
  capset, no_new_privs) before the submission is imported. AUTOGRADER_FORKSERVER=0 (or a Python without
  os.pidfd_open) takes the path above, through `unshare`, `chroot` and `setpriv`.
* **privdrop** (root without mount namespaces, as in some containers): the same child, dropped to
  its own uid by `setpriv` (and in its own network namespace where `unshare --net` works), with the
  grader's folders and the submissions protected by their permissions (`protect`; the Gradescope
  `setup.sh` also makes its source folder readable by root only).
* **userns** (not root, e.g. an instructor's laptop, where the kernel allows unprivileged user
  namespaces): the same jail, built inside `unshare --user --map-root-user`; the child keeps the
  grader's own uid (root inside the namespace) with every capability dropped. No cgroup, no uid of
  its own (so no process-count limit).
* **process** (not root, no user namespaces): a child process in its own session with the
  same resource limits and scrubbed environment, in a temporary directory. It can read what the
  grader's user can read; the grader says so in one warning line.

In every mode the child gets rlimits (CPU seconds, address space, file size, open files, no core
files, and outside process mode a process count), one torch thread, a scrubbed environment, a
wall-clock deadline on every call, and a capped capture of its stdout/stderr. As root, a cgroup also
bounds the memory and the number of processes of the whole sandbox. The grader kills the child's
whole process tree (and any orphan adopted by the grader as child subreaper) when a call times out,
when the child crashes, and at the end of each submission.
"""
from __future__ import annotations

import array
import atexit
import ctypes
import dataclasses
import errno
import functools
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import warnings
from pathlib import Path

RUNTIME_DIR = Path(__file__).resolve().parent / "runtime"
RUNTIME_FILES = ("child.py", "protocol.py")  # plus the package fixtures/ (every .py in it)
NOBODY = 65534
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
UID_BASE = 2_000_000  # sandbox uids: UID_BASE + the grader process's pid, never shared by two live graders


def sandbox_uid() -> int:
    """An unprivileged uid of this grader process's own, like `nobody` but shared with no other sandbox,
    so per-user limits (processes) and file permissions separate concurrent workers."""
    return UID_BASE + os.getpid()


@dataclasses.dataclass
class Limits:
    """Resource limits of one child process."""

    memory_bytes: int = 6 << 30  # address space; torch alone maps about 1.5 GiB
    cpu_seconds: int = 900  # CPU time of the child over its whole life
    file_bytes: int = 64 << 20  # largest file the child may write
    open_files: int = 256
    processes: int = 64  # processes and threads of the child's own uid (not in process mode)
    output_bytes: int = 64 << 10  # stdout + stderr kept for the feedback
    group_memory_bytes: int = 4 << 30  # resident memory of the whole sandbox (a cgroup, where root has one)
    workdir_bytes: int = 128 << 20  # the working directory, /tmp and /dev/shm are tmpfs of this size (namespace)


class SandboxError(Exception):
    """The child could not answer: it crashed, timed out or broke the protocol."""

    grader_text: str | None = None  # the message without the child's own bytes, where it quotes them


class SandboxTimeout(SandboxError):
    pass


class SandboxCrash(SandboxError):
    pass


# ---------------------------------------------------------------------------------------------
# Isolation mode
# ---------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def isolation_mode() -> str:
    """'namespace' as root with mount namespaces, 'userns' without root where unprivileged user
    namespaces allow the same jail, else 'privdrop' (root) or 'process' (with one warning line)."""
    forced = os.environ.get("AUTOGRADER_ISOLATION")
    if forced in ("namespace", "userns", "privdrop", "process"):
        return forced
    if os.geteuid() == 0 and all(shutil.which(t) for t in ("unshare", "setpriv", "chroot", "mount")):
        probe = subprocess.run(
            ["unshare", "--mount", "--net", "--pid", "--fork", "--propagation", "private",
             "/bin/sh", "-c", "mount -t tmpfs probe /mnt 2>/dev/null || mount -t tmpfs probe /tmp"],
            capture_output=True, timeout=30)
        if probe.returncode == 0:
            return "namespace"
        _warn("no mount namespaces here: student code runs as an unprivileged user, without a filesystem jail "
              "(and no fork server: each child starts a fresh Python)")
        return "privdrop"
    if all(shutil.which(t, path=SYSTEM_PATH) for t in ("unshare", "chroot", "mount")):
        probe = subprocess.run(
            ["unshare", "--user", "--map-root-user", "--mount", "--net", "--pid", "--fork", "--propagation",
             "private", "/bin/sh", "-c", "mount -t tmpfs probe /tmp"], capture_output=True, timeout=30,
            env={"PATH": SYSTEM_PATH})
        if probe.returncode == 0:
            return "userns"
    _warn("not root: student code runs in limited child processes, without a filesystem jail or a separate user "
          "(and no fork server: each child starts a fresh Python)")
    return "process"


def _warn(message: str) -> None:
    """One line on stderr (a RuntimeWarning, so that tests can filter it)."""
    shown = warnings.formatwarning
    warnings.formatwarning = lambda msg, *args, **kwargs: f"autograder: warning: {msg}\n"
    try:
        warnings.warn(message, RuntimeWarning, stacklevel=3)
    finally:
        warnings.formatwarning = shown


def protect(paths) -> None:
    """In privdrop mode the child sees the real filesystem: make the grader's secret folders (the
    reference, the hidden tests, the grades) unreadable to other users, saying so once."""
    changed = []
    for path in paths:
        try:
            mode = os.stat(path).st_mode
            if mode & 0o007:
                os.chmod(path, mode & ~0o007)
                changed.append(str(path))
        except FileNotFoundError:
            continue
    if changed:
        _warn("removed access for other users from " + ", ".join(changed) +
              " (student code runs as another user that must not read them)")


_SUBREAPER_SET = 0  # the pid that set it: a forked batch worker does not inherit the flag


def _become_subreaper() -> None:
    """Orphans of student code (double-forked daemons) get re-parented to us, so we can kill them."""
    global _SUBREAPER_SET
    if _SUBREAPER_SET == os.getpid() or not sys.platform.startswith("linux"):
        return
    pr_set_child_subreaper = 36
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_child_subreaper, 1, 0, 0, 0)
        _SUBREAPER_SET = os.getpid()
    except OSError:
        pass


# ---------------------------------------------------------------------------------------------
# Control groups: one memory and pids budget for the whole sandbox, where root has them
# ---------------------------------------------------------------------------------------------
class Cgroup:
    """A cgroup (v1 memory + pids hierarchies, or v2) below the grader's own, for one sandbox.

    RLIMIT_AS bounds each process, RLIMIT_NPROC the processes of one uid; only a cgroup bounds the
    memory of all the processes of a submission together. Created where root can write them; else
    the sandbox goes on with the rlimits alone.
    """

    def __init__(self, dirs: list[Path]):
        self.dirs = dirs

    @classmethod
    def create(cls, name: str, memory_bytes: int, pids: int) -> "Cgroup | None":
        if os.geteuid() != 0 or not os.path.exists("/proc/self/cgroup"):
            return None
        own: dict[str, str] = {}
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                for controller in controllers.split(","):
                    own[controller] = path
        base = Path("/sys/fs/cgroup")
        made = cls([])
        try:
            for controller, limits in (("memory", {"memory.limit_in_bytes": memory_bytes}),
                                       ("pids", {"pids.max": pids})):
                if controller in own and (base / controller / "cgroup.procs").exists():  # v1
                    made._make(base / controller / own[controller].lstrip("/") / name, limits)
            if not made.dirs and "" in own and (base / "cgroup.controllers").exists():  # v2
                made._make(base / own[""].lstrip("/") / name, {"memory.max": memory_bytes, "pids.max": pids})
        except OSError:
            made.remove()
            return None
        return made if made.dirs else None

    def _make(self, path: Path, limits: dict) -> None:
        path.mkdir()
        self.dirs.append(path)
        for key, value in limits.items():
            (path / key).write_text(str(value))

    def wrap(self, argv: list[str]) -> list[str]:
        """argv, started by a shell that first moves itself into the cgroup (before any fork)."""
        joins = " && ".join(f"echo $$ > {_quote(str(d / 'cgroup.procs'))}" for d in self.dirs)
        return ["/bin/sh", "-c", f'{joins} && exec "$@"', "sh", *argv]

    def remove(self) -> None:
        for d in reversed(self.dirs):
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # processes still exiting
                    time.sleep(0.02)
        self.dirs = []


# ---------------------------------------------------------------------------------------------
# The sandbox
# ---------------------------------------------------------------------------------------------
class Sandbox:
    """One child process serving one submission. Restartable: a crash or timeout ends only that call.

    files: {name in the working directory: source path} — the submission's graded files (and any
    public data the week needs).
    """

    def __init__(self, files: dict[str, Path], modules: list[str], limits: Limits | None = None):
        self.files = dict(files)
        self.modules = list(modules)
        self.limits = limits or Limits()
        self.mode = isolation_mode()
        self.jailed = self.mode in ("namespace", "userns")  # a private root filesystem
        # The child's uid: its own when root can give it one; inside a user namespace, the mapped root.
        self.uid = {"namespace": sandbox_uid(), "privdrop": sandbox_uid(), "userns": 0}.get(self.mode, os.getuid())
        self.cgroup: Cgroup | None = None
        self.proc: subprocess.Popen | None = None
        self.tmp: Path | None = None
        self.starts = 0
        self._next_id = 0
        self._output = bytearray()
        self._output_dropped = 0
        self._lock = threading.Lock()

    # --- life cycle -------------------------------------------------------------------------------
    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        self.close()
        _become_subreaper()
        self.starts += 1
        server = fork_server() if self.mode == "namespace" else None  # started before the census below
        self._spare = children_of_me()
        self.tmp = Path(tempfile.mkdtemp(prefix="dgm-sandbox-"))
        work, runtime = self.tmp / "work", self.tmp / "runtime"
        work.mkdir()
        runtime.mkdir()
        for name, source in self.files.items():
            shutil.copyfile(source, work / name)
        for name in RUNTIME_FILES:
            shutil.copyfile(RUNTIME_DIR / name, runtime / name)
        (runtime / "fixtures").mkdir()
        for source in sorted((RUNTIME_DIR / "fixtures").glob("*.py")):
            shutil.copyfile(source, runtime / "fixtures" / source.name)
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        if self.mode in ("namespace", "privdrop"):
            for path in [work, *work.iterdir()]:
                os.chown(path, self.uid, self.uid)
            os.chmod(work, 0o700)
            os.chmod(self.tmp, 0o711)
        if server is not None:
            self._start_forked(server, req_r, req_w, resp_r, resp_w, work, runtime)
            return
        if self.jailed:
            argv = self._namespace_argv(req_r, resp_w)
            cwd = "/"
        elif self.mode == "privdrop":
            argv = [shutil.which("setpriv") or "/usr/bin/setpriv", *_setpriv_args(self.uid), "--",
                    *self._child_argv(req_r, resp_w, str(runtime), str(work))]
            if _can_unshare_net():
                argv = ["unshare", "--net", *argv]
            cwd = str(work)
        else:
            argv = self._child_argv(req_r, resp_w, str(runtime), str(work))
            cwd = str(work)
        if self.mode in ("namespace", "privdrop"):
            self.cgroup = Cgroup.create(f"dgm-sandbox-{os.getpid()}-{self.starts}",
                                        self.limits.group_memory_bytes, self.limits.processes)
            if self.cgroup is not None:
                argv = self.cgroup.wrap(argv)
        env = scrubbed_env(home="/sandbox" if self.jailed else str(work), tmp="/tmp" if self.jailed else str(self.tmp))
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, pass_fds=(req_r, resp_w), cwd=cwd,
                                     env=env, start_new_session=True)
        os.close(req_r)
        os.close(resp_w)
        self.req_w, self.resp_r = req_w, resp_r
        self.started_at = time.monotonic()
        self._reader = threading.Thread(target=self._drain, args=(self.proc.stdout,), daemon=True)
        self._reader.start()

    def _start_forked(self, server: "ForkServer", req_r, req_w, resp_r, resp_w, work: Path, runtime: Path) -> None:
        """The child forked by the fork server, in the same jail as _namespace_argv builds (see forkserver.py)."""
        root = self.tmp / "root"
        root.mkdir()
        self.cgroup = Cgroup.create(f"dgm-sandbox-{os.getpid()}-{self.starts}", self.limits.group_memory_bytes,
                                    self.limits.processes)
        out_r, out_w = os.pipe()
        status_r, status_w = os.pipe()
        request = {"uid": self.uid, "root": str(root), "work": str(work), "runtime": str(runtime),
                   "python_dirs": _python_dirs(), "workdir_mb": max(self.limits.workdir_bytes >> 20, 1),
                   "limits": self._limits_json(), "env": scrubbed_env(home="/sandbox", tmp="/tmp"),
                   "site": sysconfig.get_paths()["purelib"], "modules": self.modules,
                   "cgroups": [str(d) for d in self.cgroup.dirs] if self.cgroup else []}
        try:
            pid = server.spawn(request, [req_r, resp_w, out_w, status_w])
        finally:
            for fd in (req_r, resp_w, out_w, status_w):
                os.close(fd)
        self.proc = ForkedProcess(pid, status_r)
        self.req_w, self.resp_r = req_w, resp_r
        self.started_at = time.monotonic()
        self._reader = threading.Thread(target=self._drain, args=(os.fdopen(out_r, "rb", buffering=0),), daemon=True)
        self._reader.start()

    def _limits_json(self) -> dict:
        return {"memory_bytes": self.limits.memory_bytes, "cpu_seconds": self.limits.cpu_seconds,
                "file_bytes": self.limits.file_bytes, "open_files": self.limits.open_files,
                # RLIMIT_NPROC counts every process of the real uid: only meaningful with a uid of its own.
                "processes": self.limits.processes if self.mode in ("namespace", "privdrop") else 0}

    def _child_argv(self, fd_in: int, fd_out: int, runtime: str, work: str) -> list[str]:
        limits = self._limits_json()
        return [sys.executable, "-I", "-S", "-B", "-u", f"{runtime}/child.py", "--fd-in", str(fd_in),
                "--fd-out", str(fd_out), "--workdir", work, "--modules", ",".join(self.modules),
                "--site", sysconfig.get_paths()["purelib"], "--limits", json.dumps(limits)]

    def _namespace_argv(self, fd_in: int, fd_out: int) -> list[str]:
        root = self.tmp / "root"
        root.mkdir()
        python_dirs = _python_dirs()
        child = " ".join(_quote(a) for a in self._child_argv(fd_in, fd_out, "/runtime", "/sandbox"))
        lines = ["set -eu", f"R={_quote(str(root))}",
                 'mount -t tmpfs -o mode=0755,size=16m sandbox-root "$R"']
        for d in ("usr", "etc"):
            lines += [f'mkdir "$R/{d}"', f'mount --bind /{d} "$R/{d}"',
                      f'mount -o remount,bind,ro,nosuid,nodev "$R/{d}"']
        for d in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            lines.append(f'if [ -L /{d} ]; then ln -s "$(readlink /{d})" "$R/{d}"; '
                         f'elif [ -d /{d} ]; then mkdir "$R/{d}"; mount --bind /{d} "$R/{d}"; '
                         f'mount -o remount,bind,ro,nosuid,nodev "$R/{d}"; fi')
        lines += ['mkdir "$R/dev" "$R/dev/shm" "$R/tmp" "$R/proc" "$R/sandbox" "$R/runtime"']
        for dev in ("null", "zero", "random", "urandom"):
            lines += [f'touch "$R/dev/{dev}"', f'mount --bind /dev/{dev} "$R/dev/{dev}"']
        size = f"size={max(self.limits.workdir_bytes >> 20, 1)}m"
        lines += [f'mount -t tmpfs -o {size},mode=1777,nosuid,nodev sandbox-shm "$R/dev/shm"',
                  f'mount -t tmpfs -o {size},mode=1777,nosuid,nodev sandbox-tmp "$R/tmp"',
                  'mount -t proc -o nosuid,nodev,noexec proc "$R/proc"',
                  # The working directory: a capped tmpfs owned by the child, filled from the submission.
                  f'mount -t tmpfs -o {size},mode=0700,uid={self.uid},gid={self.uid},nosuid,nodev '
                  'sandbox-work "$R/sandbox"',
                  f'cp -rp {_quote(str(self.tmp / "work"))}/. "$R/sandbox/"',
                  f'mount --bind {_quote(str(self.tmp / "runtime"))} "$R/runtime"',
                  'mount -o remount,bind,ro,nosuid,nodev "$R/runtime"']
        for p in python_dirs:
            lines += [f'mkdir -p "$R"{_quote(p)}', f'mount --bind {_quote(p)} "$R"{_quote(p)}',
                      f'mount -o remount,bind,ro,nosuid,nodev "$R"{_quote(p)}']
        if self.mode == "userns":  # only our own uid is mapped (to 0): keep it, drop every capability
            drop = ["--no-new-privs", "--inh-caps=-all", "--bounding-set=-all"]
            user = ["--user", "--map-root-user"]
        else:
            drop, user = _setpriv_args(self.uid), []
        lines.append(f'exec chroot "$R" /usr/bin/setpriv {" ".join(drop)} -- {child}')
        return ["unshare", *user, "--mount", "--net", "--pid", "--fork", "--propagation", "private",
                "--kill-child", "/bin/sh", "-c", "\n".join(lines)]

    def _drain(self, stream) -> None:
        while True:
            chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
            if not chunk:
                return
            with self._lock:
                room = self.limits.output_bytes - len(self._output)
                self._output += chunk[:max(room, 0)]
                self._output_dropped += max(len(chunk) - max(room, 0), 0)

    def output(self) -> str:
        """What the student's code printed so far (capped), as text."""
        with self._lock:
            text = self._output.decode("utf-8", errors="replace")
            if self._output_dropped:
                text += f"\n[... {self._output_dropped} more bytes of output dropped]"
            return text

    def close(self) -> None:
        if self.proc is not None:
            kill_tree(self.proc, self._spare)
            for fd in (self.req_w, self.resp_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.proc = None
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    # --- calls ------------------------------------------------------------------------------------
    def request(self, message: dict, arrays: list, timeout: float) -> tuple[dict, dict]:
        """Send one request and wait for its reply. Raises SandboxError (after killing the child)."""
        from autograder.runtime import protocol  # here: importing this module must not import torch (cli.py)

        if not self.alive:
            self.start()
        deadline = time.monotonic() + timeout
        self._next_id += 1
        message = {**message, "id": self._next_id}
        try:
            _write_until(self.req_w, protocol.pack(message, arrays), deadline)
            for _ in range(16):  # frames written by stray student threads carry a stale id: skip a few
                header = _read_until(self.resp_r, protocol.HEADER.size, deadline)
                json_len, blob_len = protocol.HEADER.unpack(header)
                if json_len > protocol.MAX_JSON_BYTES or blob_len > protocol.MAX_BLOB_BYTES:
                    raise protocol.ProtocolError("reply larger than the limit")
                body = _read_until(self.resp_r, json_len, deadline)
                blob = _read_until(self.resp_r, blob_len, deadline)
                reply, reply_arrays = protocol.unpack(body, blob)
                if not isinstance(reply.get("ok"), bool):
                    raise protocol.ProtocolError("reply without a status")
                if reply.get("id") == self._next_id:
                    return reply, reply_arrays
            raise protocol.ProtocolError("replies out of order")
        except TimeoutError:
            self.close()
            raise SandboxTimeout(f"timed out after {timeout:.0f} s (wall-clock time limit); "
                                 "the process was killed") from None
        except (EOFError, BrokenPipeError, ConnectionError):
            code = self._exit_code()
            self.close()
            raise SandboxCrash(f"the process running your code exited ({_describe_exit(code)})") from None
        except (protocol.ProtocolError, RecursionError, ValueError) as exc:
            self.close()
            crash = SandboxCrash(f"the process running your code sent malformed data ({exc})"[:300])
            crash.grader_text = "the process running your code sent malformed data"  # without the child's bytes
            raise crash from None

    def _exit_code(self) -> int | None:
        try:
            return self.proc.wait(timeout=2) if self.proc else None
        except subprocess.TimeoutExpired:
            return None


def _python_dirs() -> list[str]:
    """Directories bound read-only at their own path in the jail: the Python installation (outside /usr)."""
    python_dirs = sorted({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix,
                                                          os.path.dirname(os.path.realpath(sys.executable)))})
    python_dirs = [p for p in python_dirs if not any(p == s or p.startswith(s + "/") for s in ("/usr", "/etc"))]
    return [p for p in python_dirs if not any(p.startswith(q + "/") for q in python_dirs)]


# ---------------------------------------------------------------------------------------------
# The fork server (namespace mode): one template process per grader process, a fresh jail per child
# ---------------------------------------------------------------------------------------------
class ForkedProcess:
    """The Popen interface kill_tree and Sandbox use, for a jailer forked by the fork server (not our child):
    liveness from a pidfd, the exit status from the status pipe the jailer writes when its child ends."""

    def __init__(self, pid: int, status_fd: int):
        self.pid = pid
        self.returncode: int | None = None
        self._status_fd = status_fd
        self._pidfd = os.pidfd_open(pid)

    def _collect(self, timeout: float) -> bool:
        if self.returncode is not None:
            return True
        r, _, _ = select.select([self._status_fd, self._pidfd], [], [], max(timeout, 0))
        if not r:
            return False
        if self._status_fd in r:
            data = b""
            try:
                data = os.read(self._status_fd, 4)
            except OSError:
                pass
            if len(data) == 4:
                status = int.from_bytes(data, "big", signed=True)
                self.returncode = (-os.WTERMSIG(status) if os.WIFSIGNALED(status)
                                   else os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)
                self._close()
                return True
        # The jailer ended without a status (killed): the child was killed with it.
        r, _, _ = select.select([self._pidfd], [], [], 0)
        if r:
            self.returncode = -signal.SIGKILL
            self._close()
            return True
        return False

    def _close(self) -> None:
        for fd in (self._status_fd, self._pidfd):
            try:
                os.close(fd)
            except OSError:
                pass

    def poll(self) -> int | None:
        self._collect(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._collect(1e9 if timeout is None else timeout):
            raise subprocess.TimeoutExpired("forked child", timeout)
        return self.returncode


class ForkServer:
    """The grader's side of the fork server: its control socket, its process.

    Shared by the processes forked from the one that started it (the batch workers, batch.grade_many):
    they inherit the socket, and each request carries its own answer pipe, so any number of them may ask
    at once and each gets its own jailer's pid. Only the process that started it stops it."""

    def __init__(self):
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock = parent
        self.owner = os.getpid()
        env = scrubbed_env(home="/", tmp="/tmp")
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-B", "-u", str(RUNTIME_DIR / "forkserver.py"), "--sock-fd",
             str(child.fileno()), "--site", sysconfig.get_paths()["purelib"]],
            stdin=subprocess.DEVNULL, pass_fds=(child.fileno(),), cwd="/", env=env, start_new_session=True)
        child.close()
        self.pid = self.proc.pid
        self._pidfd = os.pidfd_open(self.pid)  # readable once the server has exited, in any process sharing it

    def alive(self) -> bool:
        if self._pidfd < 0:
            return False
        try:
            return not select.select([self._pidfd], [], [], 0)[0]
        except (OSError, ValueError):
            return False

    def spawn(self, request: dict, fds: list[int]) -> int:
        answer_r, answer_w = os.pipe()
        try:
            try:
                self.sock.sendmsg([json.dumps(request).encode()], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                                                    array.array("i", [*fds, answer_w]).tobytes())])
            finally:
                os.close(answer_w)  # the server holds the only other copy: EOF if it dies or never answers
            # The first answer waits for the server's imports (torch): up to two minutes on a loaded machine.
            data = b""
            deadline = time.monotonic() + 120
            while not data.endswith(b"\n"):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not select.select([answer_r], [], [], remaining)[0]:
                    break
                chunk = os.read(answer_r, 1 << 16)
                if not chunk:
                    break
                data += chunk
        except OSError as exc:
            raise SandboxCrash(f"the fork server could not start the sandbox ({exc})") from None
        finally:
            os.close(answer_r)
        reply = json.loads(data) if data.endswith(b"\n") else {}
        if not reply.get("ok"):
            raise SandboxCrash(f"the fork server could not start the sandbox ({reply.get('error', 'no answer')})")
        return int(reply["pid"])

    def close(self) -> None:
        """Stop the server (its owner only: a worker that inherited it leaves it serving the others) and
        close this process's descriptors of it."""
        if self._pidfd < 0:
            return
        self.sock.close()
        if os.getpid() == self.owner:
            try:
                self.proc.kill()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        os.close(self._pidfd)
        self._pidfd = -1


_SERVER: ForkServer | None = None


def fork_server() -> ForkServer | None:
    """The fork server of this grader process, or the one it inherited from the process that forked it (a
    batch worker shares its parent's), started on first use; None where it cannot be used (no
    os.pidfd_open, AUTOGRADER_FORKSERVER=0), with one warning line: the child then starts as before."""
    global _SERVER
    if os.environ.get("AUTOGRADER_FORKSERVER", "1") == "0":
        return None
    if _SERVER is not None:
        if _SERVER.alive():
            return _SERVER
        _SERVER.close()
    if not hasattr(os, "pidfd_open") or not hasattr(socket, "SCM_RIGHTS"):
        _warn_once("no fork server here (os.pidfd_open is missing): each child starts a fresh Python")
        return None
    _SERVER = ForkServer()
    atexit.register(_SERVER.close)
    return _SERVER


def start_fork_server() -> ForkServer | None:
    """Start the fork server now, where the sandbox will use one (namespace mode), so that its imports (torch)
    run beside the grader's own; the batch workers forked after this share it."""
    return fork_server() if isolation_mode() == "namespace" else None


@functools.lru_cache(maxsize=None)
def _warn_once(message: str) -> None:
    _warn(message)


def _setpriv_args(uid: int) -> list[str]:
    return [f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs",
            "--inh-caps=-all", "--bounding-set=-all"]


@functools.lru_cache(maxsize=None)
def _can_unshare_net() -> bool:
    return subprocess.run(["unshare", "--net", "true"], capture_output=True).returncode == 0


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "unknown status"
    if code < 0 or code > 128:
        signum = -code if code < 0 else code - 128
        name = signal.Signals(signum).name if signum in signal.Signals._value2member_map_ else str(signum)
        hint = {"SIGKILL": ": killed, possibly for exceeding the memory or CPU limit",
                "SIGXCPU": ": CPU time limit exceeded", "SIGXFSZ": ": file size limit exceeded",
                "SIGSEGV": ": segmentation fault"}.get(name, "")
        return f"signal {name}{hint}"
    return f"exit code {code}"


def scrubbed_env(home: str, tmp: str) -> dict[str, str]:
    env = {"PATH": SYSTEM_PATH, "HOME": home, "TMPDIR": tmp, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # numerical correctness on some CPUs
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def _wait_fd(fd: int, deadline: float, write: bool) -> None:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError
    r, w, _ = select.select([] if write else [fd], [fd] if write else [], [], remaining)
    if not (r or w):
        raise TimeoutError


def _write_until(fd: int, data: bytes, deadline: float) -> None:
    os.set_blocking(fd, False)
    view = memoryview(data)
    while view:
        _wait_fd(fd, deadline, write=True)
        try:
            view = view[os.write(fd, view[:1 << 16]):]
        except BlockingIOError:
            continue


def _read_until(fd: int, n: int, deadline: float) -> bytes:
    os.set_blocking(fd, False)
    chunks, remaining = [], n
    while remaining:
        _wait_fd(fd, deadline, write=False)
        try:
            chunk = os.read(fd, min(remaining, 1 << 20))
        except BlockingIOError:
            continue
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


# ---------------------------------------------------------------------------------------------
# Killing a whole process tree
# ---------------------------------------------------------------------------------------------
def _process_table() -> dict[int, int]:
    """pid -> parent pid, from /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read().decode("ascii", "replace")
                table[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    return table


def kill_tree(proc: subprocess.Popen, spare: set[int] = frozenset()) -> None:
    """SIGKILL the child, its descendants, its process group, and the orphans the grader adopted.

    spare: children the grader already had before this sandbox started (never touched).
    """
    me = os.getpid()
    adopted: set[int] = set()
    for _ in range(20):
        table = _process_table()
        victims = {proc.pid} if proc.poll() is None else set()
        frontier = [proc.pid]
        while frontier:  # descendants of the child
            parent = frontier.pop()
            for pid, ppid in table.items():
                if ppid == parent and pid not in victims:
                    victims.add(pid)
                    frontier.append(pid)
        # Double-forked daemons are re-parented to us (we are a child subreaper).
        victims |= {pid for pid, ppid in table.items() if ppid == me and pid not in spare and pid != proc.pid}
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        adopted |= {pid for pid in victims - {proc.pid} if table.get(pid) == me}
        _reap_adopted(victims - {proc.pid})
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            continue
        if not (victims - {proc.pid}):
            break
        time.sleep(0.01)
    # The PID namespace's init, re-parented to us when `unshare` died, exits only once its whole namespace
    # is torn down, which can outlast the loop above (a fork bomb, a loaded machine). Unreaped, it stays a
    # zombie of this grader process for the rest of the batch (it is in `spare` of every later sandbox),
    # holding a PID and one of the sandbox uid's RLIMIT_NPROC slots. It was SIGKILLed: wait for it.
    deadline = time.monotonic() + 10
    for pid in adopted:
        while time.monotonic() < deadline:
            try:
                if os.waitpid(pid, os.WNOHANG)[0]:
                    break
            except ChildProcessError:
                break
            time.sleep(0.01)


def children_of_me() -> set[int]:
    me = os.getpid()
    return {pid for pid, ppid in _process_table().items() if ppid == me}


def _reap_adopted(pids) -> None:
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        except OSError as exc:
            if exc.errno != errno.ECHILD:
                raise
