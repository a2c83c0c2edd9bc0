"""Forks, threads and memory-holding children: the sandbox's limits must bound the submission, not one process."""
import os
import threading
import time


def fork_until_refused(limit):
    """Fork sleeping children until the kernel refuses; return how many it got."""
    count = 0
    for _ in range(limit):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            time.sleep(600)
            os._exit(0)
        count += 1
    return count


def start_a_thread():
    try:
        t = threading.Thread(target=lambda: None)
        t.start()
        t.join()
        return "started"
    except RuntimeError as exc:
        return str(exc)


def children_holding_memory(n, size):
    """n children that each touch `size` bytes; the memory of this process and of the children still alive."""
    import select
    r, w = os.pipe()
    pids = []
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            block = b"\x01" * size  # noqa: F841 (held, not used: the memory is the attack)
            os.write(w, b"x")
            time.sleep(600)
            os._exit(0)
        pids.append(pid)
    ready, deadline = 0, time.monotonic() + 10
    while ready < n and select.select([r], [], [], max(deadline - time.monotonic(), 0))[0]:
        ready += len(os.read(r, n))
    # Proportional set sizes (shared pages divided among their users) add up to the memory really used.
    total = 0
    for pid in pids + [os.getpid()]:  # a child killed for memory (a cgroup's OOM killer) counts 0
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                total += sum(int(line.split()[1]) * 1024 for line in f if line.startswith("Pss:"))
        except OSError:
            pass
    return total
