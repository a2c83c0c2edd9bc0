"""The fork server's descriptors, memory, environment, ptrace and signals, and state left for the next child."""
import builtins
import ctypes
import os
import signal
import sys

import torch


def descriptors():
    """Every open descriptor and what it is."""
    found = {}
    for fd in range(0, 4096):
        try:
            st = os.fstat(fd)
        except OSError:
            continue
        try:
            found[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            found[fd] = str(st.st_mode)
    return sorted(found.items())


def processes():
    """The pids this process can see, its parent, and what /proc/<server pid> gives."""
    return sorted(int(p) for p in os.listdir("/proc") if p.isdigit()), os.getppid()


def server_files(pid):
    out = {}
    for name in ("environ", "mem", "maps", "cmdline", "status"):
        try:
            with open(f"/proc/{pid}/{name}", "rb") as f:
                out[name] = f.read(4096).hex()
        except OSError as exc:
            out[name] = type(exc).__name__
    try:
        out["fds"] = os.listdir(f"/proc/{pid}/fd")
    except OSError as exc:
        out["fds"] = type(exc).__name__
    return out


def memory_after(prefix_a, prefix_b):
    """What follows each occurrence of prefix_a + prefix_b in this process's writable memory (the server's
    memory, inherited) and in its environment block."""
    needle = (prefix_a + prefix_b).encode()
    hits = []
    with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", buffering=0) as mem:
        for line in maps:
            fields = line.split()
            if not fields[1].startswith("rw"):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if end - start > 256 << 20:
                continue
            try:
                mem.seek(start)
                data = mem.read(end - start)
            except (OSError, OverflowError, ValueError):
                continue
            at = data.find(needle)
            while at >= 0 and len(hits) < 1000:
                hits.append(data[at + len(needle): at + len(needle) + 32].hex())
                at = data.find(needle, at + 1)
    with open("/proc/self/environ", "rb") as f:
        env = f.read()
    return hits, env.hex(), sorted(os.environ)


def trace(pid):
    """PTRACE_ATTACH (16) to pid and to our parent; errno of each."""
    libc = ctypes.CDLL(None, use_errno=True)
    out = []
    for target in (pid, os.getppid(), 1):
        r = libc.ptrace(16, target, None, None)
        out.append([target, r, ctypes.get_errno()])
    return out


def signal_server(pid):
    out = []
    for target, sig in ((pid, signal.SIGKILL), (-1, signal.SIGTERM), (0, signal.SIGUSR1)):
        try:
            if target == 0:
                continue
            os.kill(target, sig)
            out.append([target, "sent"])
        except OSError as exc:
            out.append([target, exc.errno])
    return out


def leave_state(token):
    builtins.LEFTOVER = token
    torch.LEFTOVER = token
    torch.add = lambda *a, **k: token
    sys.modules["leftover_module"] = type(sys)("leftover_module")
    os.environ["LEFTOVER"] = token
    for path in ("/tmp/leftover", "/dev/shm/leftover", "/sandbox/leftover"):
        with open(path, "w") as f:
            f.write(token)
    return True


def whoami():
    return os.getuid(), os.getpid()


def find_state():
    found = []
    if hasattr(builtins, "LEFTOVER"):
        found.append("builtins")
    if hasattr(torch, "LEFTOVER"):
        found.append("torch attribute")
    if torch.add(torch.ones(1), torch.ones(1)).tolist() != [2.0]:
        found.append("torch.add")
    if "leftover_module" in sys.modules:
        found.append("sys.modules")
    if "LEFTOVER" in os.environ:
        found.append("environment")
    for path in ("/tmp/leftover", "/dev/shm/leftover", "/sandbox/leftover"):
        if os.path.exists(path):
            found.append(path)
    return found
