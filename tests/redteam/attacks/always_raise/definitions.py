"""Every public function and class raises ValueError whatever its arguments: error tests need a valid call first."""
# Not appended as it stands: redteam_lib.always_valueerror_week_sources copies these definitions once for
# each public name of the week's stubs, with FUNCTION, CONSTRUCTOR, MODULE, OBJECT and METHOD renamed.
import torch.nn as _rt_nn


def FUNCTION(*args, **kwargs):
    raise ValueError('FUNCTION: every argument is invalid')


class CONSTRUCTOR:
    """classes="constructor": building one raises."""

    def __init__(self, *args, **kwargs):
        raise ValueError('CONSTRUCTOR: every argument is invalid')


class MODULE(_rt_nn.Module):
    """classes="methods", where the stub's class is an nn.Module: building one succeeds whatever the
    arguments, and forward and every public method of the stub's class raise."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def METHOD(self, *args, **kwargs):
        raise ValueError('MODULE.METHOD: every argument is invalid')


class OBJECT:
    """classes="methods", any other class: as MODULE, with __call__ raising too."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def METHOD(self, *args, **kwargs):
        raise ValueError('OBJECT.METHOD: every argument is invalid')
