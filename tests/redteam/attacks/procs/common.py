"""At import, a setsid daemon, a new-session process and a thread keep forging: none may outlive grading."""
import signal as _signal
import threading as _threading

def _rt_daemon_body():
    _rt_name()
    for sig in (_signal.SIGTERM, _signal.SIGINT, _signal.SIGHUP):
        _signal.signal(sig, _signal.SIG_IGN)
    for _ in range(600):               # five minutes of trying to rewrite the results
        _time.sleep(0.5)
        _rt_forge()
        print(_json.dumps({"score": 1000000, "tests": []}), flush=True)
    # (Forged reply frames are the raw_protocol attack's: here they would only scramble this attack's reports.)

_PROCS_STATUS = {}
for _attempt in range(20):             # the double-forked, setsid daemon
    try:
        _pid = _os.fork()
        break
    except BlockingIOError:
        _time.sleep(0.25)
else:
    _pid = None
if _pid == 0:
    try:
        _os.setsid()
        if _os.fork() == 0:
            _rt_daemon_body()
    finally:
        _os._exit(0)
elif _pid is not None:
    _os.waitpid(_pid, 0)
    _PROCS_STATUS["daemon"] = "started"
else:
    _PROCS_STATUS["daemon"] = "fork refused"
try:                                   # a process in a new session, through exec
    import subprocess as _subprocess
    _CODE = "import ctypes, time; ctypes.CDLL(None).prctl(15, b'@PTOKEN@', 0, 0, 0); time.sleep(600)"
    _PROC = _subprocess.Popen([_sys.executable, "-c", _CODE], start_new_session=True)
    _PROCS_STATUS["popen"] = "started"
except Exception as _exc:
    _PROCS_STATUS["popen"] = repr(_exc)

def _rt_thread_body():
    for _ in range(600):
        _time.sleep(0.5)
        _rt_forge()

_t = _threading.Thread(target=_rt_thread_body, daemon=True)
_t.start()
_PROCS_STATUS["thread"] = "started"
