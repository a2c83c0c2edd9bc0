"""Procs' import-time daemons (procs/common.py, appended after this), writing nothing: none may outlive grading."""


def _rt_forge(fake_score=1e6):
    """Without the jail a write would land on the host: these daemons only try to outlive their submission."""
    return []


def gaussian_mle(x):
    raise RuntimeError("PROCS " + _json.dumps(_PROCS_STATUS))
