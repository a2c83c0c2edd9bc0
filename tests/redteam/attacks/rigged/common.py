"""Objects that claim to equal anything: the grader must receive plain data or refuse them."""
import numpy as _np

class _AlwaysEqual(float):
    """A float that equals everything and is within every tolerance."""
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __le__ = __lt__ = __ge__ = __gt__ = __eq__
    def __sub__(self, other): return 0.0
    __rsub__ = __add__ = __radd__ = __sub__
    def __abs__(self): return 0.0
    def __float__(self): return 0.0
    def __hash__(self): return 0
    def __bool__(self): return True

class _Rigged:
    """An object that claims to be anything."""
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __le__ = __lt__ = __ge__ = __gt__ = __eq__
    def __sub__(self, other): return 0.0
    __rsub__ = __sub__
    def __abs__(self): return 0.0
    def __float__(self): return 0.0
    def __int__(self): return 0
    def __index__(self): return 0
    def __len__(self): return 2
    def __iter__(self): return iter([self, self])
    def __getitem__(self, i): return self
    def __array__(self, *a, **k): return _np.zeros(97)
    def __bool__(self): return True
    def __hash__(self): return 0
    def __getattr__(self, name): return self
    def __call__(self, *a, **k): return self
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None): return True

class _EvilTensor(_torch.Tensor):
    """Every comparison or closeness test on it says yes."""
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in ("__eq__", "eq", "allclose", "isclose", "equal", "le", "__le__", "lt", "__lt__",
                    "ge", "__ge__", "gt", "__gt__", "isfinite", "all", "any"):
            return True
        with _torch._C.DisableTorchFunctionSubclass():
            return func(*args, **(kwargs or {}))

class _LyingDtype(_torch.Tensor):
    """Claims to be int64 while its data is int32."""
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func is _torch.Tensor.dtype.__get__:
            return _torch.int64
        with _torch._C.DisableTorchFunctionSubclass():
            return func(*args, **(kwargs or {}))

class _EvilArray(_np.ndarray):
    def __eq__(self, other): return True
    def __array_ufunc__(self, *a, **k): return True
