"""Malformed tensor and handle encodings: the grader must refuse them."""
def frechet_distance(mu1, sigma1, mu2, sigma2):
    _rt_frame({"ok": True, "value": {"__tensor__": "not a number", "dtype": ["x"]}})
    _os._exit(0)

def mmd_rbf(x, y, bandwidth):
    _rt_frame({"ok": True, "value": {"__handle__": 10 ** 30, "type": "float" * 1000}})
    _os._exit(0)
