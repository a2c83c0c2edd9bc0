"""Leaks its own stack and walks the jail's filesystem for grading material: there must be none."""
def frechet_distance(mu1, sigma1, mu2, sigma2):
    import traceback
    raise RuntimeError("".join(traceback.format_stack()))    # the child's own stack, as a leak attempt

def mmd_rbf(x, y, bandwidth):
    # Every file in the jail outside the system and the Python installation that looks like grading material.
    # (/tmp and the working folder hold only what this child wrote itself.)
    skip = ("/proc", "/sys", "/dev", "/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
            "/tmp", _os.getcwd())
    py_dirs = {_os.path.realpath(p.split("/lib/python")[0]) for p in _sys.path if "/lib/python" in p}
    found, seen = [], 0
    for dirpath, dirnames, filenames in _os.walk("/"):
        dirnames[:] = [d for d in dirnames if _os.path.join(dirpath, d) not in skip
                       and _os.path.realpath(_os.path.join(dirpath, d)) not in py_dirs]
        for name in filenames:
            seen += 1
            if name.startswith("test_") or "solution" in name or name in ("results.json", "gradebook.csv",
                                                                          "feedback.html", "mutants.py"):
                found.append(_os.path.join(dirpath, name))
        if seen > 50_000:
            break
    raise RuntimeError("FOUND " + _json.dumps({"files": found[:30], "seen": seen}))
