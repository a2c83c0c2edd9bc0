"""The fork server: a template process that has paid the child's start-up once, forking a fresh jail per child.

Started by the grader (sandbox.ForkServer) as root in namespace mode, from a fresh interpreter with a scrubbed
environment: it holds no grader memory, no grader descriptor but its control socket, and no secret. It
imports torch (one thread), torch._dynamo (what an optimizer's first step pulls in), numpy, protocol.py and
the child runtime, and never imports student code, the hidden tests or the reference.

For each request on the control socket (JSON + five descriptors: the request pipe, the reply pipe, the
output pipe, the status pipe, and the answer pipe), it forks a *jailer* and writes the jailer's pid to the
request's own answer pipe. The grader's batch workers share one server (they inherit its socket): each
SOCK_SEQPACKET request is one atomic message carrying its own answer pipe, so concurrent requests from
several workers are each answered to their sender. The jailer, root and trusted:
  1. starts a session, joins the sandbox's cgroup (the paths come in the request), and unshares its
     mount, network and PID namespaces (libc `unshare` through ctypes);
  2. forks the child, pid 1 of the new PID namespace, then waits for it and writes its wait status to the
     status pipe (the grader's only source for "exited (signal SIGSEGV)"); when the jailer is killed, the
     child gets SIGKILL (PR_SET_PDEATHSIG) and the kernel kills its whole PID namespace.
The child, in this order: builds the tmpfs root (system directories and the Python installation bound
read-only, the submission copied into a capped tmpfs working directory, the runtime bound read-only, a
fresh /proc), chroots into it, closes every descriptor but its pipes, drops to the sandbox uid (no groups,
an empty bounding set, no capabilities, no_new_privs), sets the rlimits and the scrubbed environment, and
only then serves requests, importing the submission on the first one (child.Runtime).

Run as: python -I -S -B -u forkserver.py --sock-fd N --site PURELIB
"""
from __future__ import annotations

import argparse
import array
import ctypes
import json
import os
import shutil
import signal
import socket
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE = 1, 24, 38, 4
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
N_FDS = 5  # request, reply, output, status, answer

libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None,
                      ctypes.c_ulong(flags), data.encode() if data else None), f"mount {target}")


def bind_ro(source: str, target: str) -> None:
    mount(source, target, None, MS_BIND)
    mount("none", target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sock-fd", type=int, required=True)
    parser.add_argument("--site", required=True)
    args = parser.parse_args()
    sys.path[:0] = [HERE]
    sys.path.append(args.site)
    import torch

    torch.set_num_threads(1)
    import numpy  # noqa: F401
    import torch._dynamo  # noqa: F401  (an optimizer's first step imports it: 1.5 s per child otherwise)
    import torch.distributions  # noqa: F401
    import torch.nn.functional  # noqa: F401
    from torch.utils._python_dispatch import TorchDispatchMode  # noqa: F401  (child.Disabled)

    import resource  # noqa: F401  (child.apply_limits)

    import child
    import protocol  # noqa: F401

    # Not dumpable: no process of another uid may ptrace it or read its /proc/<pid>/mem, environ or fds.
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    sock = socket.socket(fileno=args.sock_fd)
    serve(sock, child)


def serve(sock: socket.socket, child) -> None:
    while True:
        _reap()
        try:
            data, ancdata, _, _ = sock.recvmsg(1 << 16, socket.CMSG_SPACE(N_FDS * 4))
        except InterruptedError:
            continue
        if not data:
            return  # every grader process closed its end (or died): nothing more to serve
        fds = array.array("i")
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(payload[:len(payload) - len(payload) % fds.itemsize])
        fds = list(fds)
        answer = fds.pop() if len(fds) == N_FDS else None  # the sender's own answer pipe
        try:
            request = json.loads(data)
            if answer is None:
                raise ValueError(f"expected {N_FDS} descriptors")
            pid = os.fork()
        except Exception as exc:  # noqa: BLE001  (answered where it can be, never fatal to the server)
            for fd in fds:
                os.close(fd)
            _answer(answer, {"ok": False, "error": f"{type(exc).__name__}: {exc}"})
            continue
        if pid == 0:
            try:
                sock.close()
                os.close(answer)
                jailer(request, fds, child)
            except BaseException as exc:  # noqa: BLE001
                try:
                    os.write(2, f"forkserver: jailer failed: {exc}\n".encode())
                finally:
                    os._exit(125)
            os._exit(0)
        for fd in fds:
            os.close(fd)
        _answer(answer, {"ok": True, "pid": pid})


def _answer(fd: int | None, reply: dict) -> None:
    """One line of JSON on the sender's answer pipe (under PIPE_BUF: one atomic write), then close it."""
    if fd is None:
        return
    try:
        os.write(fd, json.dumps(reply).encode() + b"\n")
    except OSError:
        pass  # the sender gave up waiting: nothing to answer
    finally:
        os.close(fd)


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def jailer(request: dict, fds: list[int], child) -> None:
    req_r, resp_w, out_w, status_w = fds
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for path in request.get("cgroups", []):  # before any fork: the child is born inside
        with open(os.path.join(path, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
    _check(libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID), "unshare")
    mount("none", "/", None, MS_REC | MS_PRIVATE)  # nothing mounted below propagates back
    pid = os.fork()
    if pid == 0:
        try:
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            jailed_child(request, req_r, resp_w, out_w, status_w, child)
        except BaseException as exc:  # noqa: BLE001
            for fd in (out_w, 2):
                try:
                    os.write(fd, f"the sandbox could not start: {type(exc).__name__}: {exc}\n".encode())
                    break
                except OSError:
                    continue
            os._exit(126)
        os._exit(0)
    for fd in (req_r, resp_w, out_w):
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    os.write(status_w, struct.pack(">i", status))
    os._exit(0)


def jailed_child(request: dict, req_r: int, resp_w: int, out_w: int, status_w: int, child) -> None:
    uid = int(request["uid"])
    root = request["root"]
    if uid <= 0:
        raise ValueError("the sandbox uid must not be root")
    os.close(status_w)
    # 1. The tmpfs root: only the system, the Python installation, the runtime and the submission.
    mount("sandbox-root", root, "tmpfs", 0, "mode=0755,size=16m")
    for d in ("usr", "etc"):
        os.mkdir(f"{root}/{d}")
        bind_ro(f"/{d}", f"{root}/{d}")
    for d in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        if os.path.islink(f"/{d}"):
            os.symlink(os.readlink(f"/{d}"), f"{root}/{d}")
        elif os.path.isdir(f"/{d}"):
            os.mkdir(f"{root}/{d}")
            bind_ro(f"/{d}", f"{root}/{d}")
    for d in ("dev", "dev/shm", "tmp", "proc", "sandbox", "runtime"):
        os.mkdir(f"{root}/{d}")
    for dev in ("null", "zero", "random", "urandom"):
        open(f"{root}/dev/{dev}", "w").close()
        mount(f"/dev/{dev}", f"{root}/dev/{dev}", None, MS_BIND)
    size = f"size={int(request['workdir_mb'])}m"
    mount("sandbox-shm", f"{root}/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, f"{size},mode=1777")
    mount("sandbox-tmp", f"{root}/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"{size},mode=1777")
    mount("proc", f"{root}/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)  # this PID namespace's
    mount("sandbox-work", f"{root}/sandbox", "tmpfs", MS_NOSUID | MS_NODEV, f"{size},mode=0700,uid={uid},gid={uid}")
    work = request["work"]
    for name in os.listdir(work):
        src = os.path.join(work, name)
        (shutil.copytree if os.path.isdir(src) else shutil.copy2)(src, f"{root}/sandbox/{name}")
        os.chown(f"{root}/sandbox/{name}", uid, uid)
    bind_ro(request["runtime"], f"{root}/runtime")
    for p in request["python_dirs"]:
        os.makedirs(f"{root}{p}", exist_ok=True)
        bind_ro(p, f"{root}{p}")
    # 2. Into it.
    os.chroot(root)
    os.chdir("/sandbox")
    # Only the pipes stay open: 0 from /dev/null, 1 and 2 the output pipe, then the request and reply pipes.
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out_w, 1)
    os.dup2(out_w, 2)
    os.dup2(req_r, 3)
    os.dup2(resp_w, 4)
    os.closerange(5, 1 << 16)
    # 3. Drop to the sandbox uid: no groups, an empty bounding set, no capabilities, no_new_privs.
    cap = 0
    while libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0:
        cap += 1
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)  # every uid leaves 0: the permitted and effective sets are cleared
    header = (ctypes.c_uint32 * 2)(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable (two 32-bit words each): empty
    _check(libc.capset(header, data), "capset")
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # as after an exec: its own uid may inspect it (the server may not)
    os.environ.clear()
    os.environ.update(request["env"])
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    sys.stderr = open(2, "w", buffering=1, closefd=False)
    child.HERE = "/runtime"
    child.RUNTIME_DIRS = ("/runtime", HERE)
    # The submission first, then the runtime (fixtures), the standard library, the installed packages.
    sys.path[:] = ["/sandbox", "/runtime", *[q for q in sys.path if q not in (HERE, request["site"])], request["site"]]
    # What a spawned child's sys.argv holds (student code may read it, as the red-team's raw_protocol attack does).
    sys.argv = ["/runtime/child.py", "--fd-in", "3", "--fd-out", "4", "--workdir", "/sandbox", "--modules",
                ",".join(request["modules"]), "--site", request["site"], "--limits", json.dumps(request["limits"])]
    child.apply_limits(request["limits"])
    # 4. Only now the student's code: imported on the first request.
    import protocol

    signal.signal(signal.SIGPROF, child._cpu_time_up)
    child.Runtime(3, 4, set(request["modules"]), protocol).serve()


if __name__ == "__main__":
    main()
