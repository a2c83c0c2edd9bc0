"""`sub`: the student's code as seen from a hidden test. Every call becomes a request to the sandbox.

    sub.density.categorical_nll(logits, x)        -> plain data (tensors, floats, tuples, Records)
    sub.fixture("gaussian_log_prob", mean=..., cov=...)   -> a callable built in the child
    sub.without("torch.multinomial").sampling.sample_categorical(p, 10)
    sub.call_fixture("train_likelihood", model, data, num_steps=200)   -> runs a public helper in the child
    model = sub.models.Critic(config)             -> a RemoteObject; model.forward(x) runs in the child
"""
from __future__ import annotations

import math
import time
from typing import Any

from autograder.checks import CheckFailed, StudentError
from autograder.runtime import protocol
from autograder.sandbox import Sandbox, SandboxError, SandboxTimeout


HUNG_AFTER_S = 3.0  # a call that ran this long (CPU or wall seconds) without answering marks its function hung


class TestBudget:
    """What one submission's Remote and its views share: the current test's CPU seconds, and the graded
    functions that timed out (`target -> message`), which fail their later tests at once."""

    def __init__(self):
        self.cpu_budget = math.inf  # CPU seconds of the child for the whole test (set by the engine)
        self.cpu_left = math.inf
        self.cpu_used = 0.0
        self.hung: dict[str, str] = {}

    def start_test(self, cpu_budget: float) -> None:
        self.cpu_budget = self.cpu_left = float(cpu_budget)
        self.cpu_used = 0.0


class Remote:
    def __init__(self, sandbox: Sandbox, modules: dict[str, str | None], disabled: tuple[str, ...] = (),
                 budget: TestBudget | None = None):
        """modules: graded module name -> None when it imported, else the error message to show."""
        self._sandbox = sandbox
        self._modules = modules
        self._disabled = disabled
        self.budget = budget or TestBudget()
        self.deadline = float("inf")  # set by the engine for each test

    def __getattr__(self, name: str) -> "RemoteModule":
        if name.startswith("_") or name not in self._modules:
            raise AttributeError(name)
        return RemoteModule(self, name)

    def fixture(self, name: str, **kwargs: Any) -> protocol.FixtureRef:
        return protocol.FixtureRef(name, **kwargs)

    def call_fixture(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Run the public helper `fixtures.<name>(*args, **kwargs)` in the child, for example a training
        loop over a student's model (pass the RemoteObject). Student objects it returns come back as
        RemoteObjects; everything else as plain data."""
        return self._request({"op": "call_fixture", "name": str(name), "args": list(args),
                              "kwargs": dict(kwargs)}, f"fixtures.{name}()")

    def without(self, *names: str) -> "Remote":
        view = Remote(self._sandbox, self._modules, self._disabled + tuple(names), self.budget)
        view.deadline = self.deadline
        view.__dict__["_parent"] = self
        return view

    # --- the one place where requests are sent ----------------------------------------------------
    def _request(self, message: dict, label: str, target: str | None = None) -> Any:
        """target: the graded function called ("density.gmm_em"), marked hung if the call times out."""
        parent = self.__dict__.get("_parent")
        deadline = parent.deadline if parent is not None else self.deadline
        remaining = deadline - time.monotonic()
        budget = self.budget
        if remaining <= 0 or budget.cpu_left <= 0:
            raise CheckFailed(f"{label}: the test's time limit ran out")
        cpu_limit = budget.cpu_left
        if math.isfinite(cpu_limit):
            message["cpu_limit"] = round(cpu_limit, 3)
        arrays: list = []
        for key in ("args", "kwargs"):
            if key in message:
                message[key] = protocol.encode(_unwrap_handles(message[key]), arrays)
        if self._disabled:
            message["disable"] = list(self._disabled)
        try:
            reply, reply_arrays = self._sandbox.request(message, arrays, remaining)
        except SandboxTimeout as exc:  # the wall-clock limit: the process was killed
            text = f"{label}: {exc.grader_text or exc}"
            if target is not None and remaining >= HUNG_AFTER_S:
                budget.hung[target] = text
            raise CheckFailed(f"{label}: {exc}", grader_text=text) from None
        except SandboxError as exc:
            raise CheckFailed(f"{label}: {exc}", grader_text=f"{label}: {exc.grader_text or exc}") from None
        cpu = reply.get("cpu")  # the child's own count: a lie buys at most the wall-clock limit
        if isinstance(cpu, (int, float)) and not isinstance(cpu, bool) and 0 <= cpu < 1e6:
            budget.cpu_left -= cpu
            budget.cpu_used += cpu
        if reply.get("cpu_time_limit") is True and math.isfinite(cpu_limit):
            text = f"{label}: timed out after {budget.cpu_budget:.0f} s of CPU time (the test's time limit)"
            if target is not None and cpu_limit >= HUNG_AFTER_S:
                budget.hung[target] = text
            raise CheckFailed(text, grader_text=text)
        if not reply["ok"]:
            error = reply.get("error") if isinstance(reply.get("error"), dict) else {}
            raise StudentError(label, protocol.text(error.get("type"), 100) or "Exception",
                               protocol.text(error.get("message")), protocol.text(error.get("traceback"), 4000))
        try:
            value = protocol.decode(reply.get("value"), reply_arrays)
        except protocol.ProtocolError as exc:
            raise CheckFailed(f"{label} returned malformed data ({exc})") from None
        return _wrap_handles(self, value, label)

    def _call(self, target: str, args, kwargs) -> Any:
        module = target.split(".", 1)[0]
        problem = self._modules.get(module)
        if problem:
            raise CheckFailed(f"{module}.py could not be imported: {problem}",
                              grader_text=f"{module}.py could not be imported")
        hung = self.budget.hung.get(target)
        if hung is not None:  # it timed out in an earlier test: not called again
            raise CheckFailed(hung, grader_text=hung)
        return self._request({"op": "call", "target": target, "args": list(args), "kwargs": dict(kwargs)},
                             f"{target}()", target)

    def _seed(self, seed: int) -> None:
        self._sandbox.request({"op": "seed", "seed": int(seed)}, [], 60)


class RemoteModule:
    def __init__(self, remote: Remote, name: str):
        self._remote, self._name = remote, name

    def __getattr__(self, name: str) -> "RemoteFunction":
        if name.startswith("_"):
            raise AttributeError(name)
        return RemoteFunction(self._remote, f"{self._name}.{name}")


class RemoteFunction:
    def __init__(self, remote: Remote, target: str):
        self._remote, self.target = remote, target

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._remote._call(self.target, args, kwargs)

    def __repr__(self) -> str:
        return f"<student function {self.target}>"


class RemoteObject:
    """An object living in the child. Methods run there; `.get(name)` fetches an attribute as data."""

    def __init__(self, remote: Remote, handle: protocol.Handle, label: str):
        self._remote, self._handle, self._label = remote, handle, label

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)

        def method(*args: Any, **kwargs: Any) -> Any:
            return self._remote._request({"op": "call_method", "handle": self._handle.handle_id, "name": name,
                                          "args": list(args), "kwargs": dict(kwargs)},
                                         f"{self._handle.type_name}.{name}()")

        return method

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._remote._request({"op": "call_method", "handle": self._handle.handle_id, "name": "__call__",
                                      "args": list(args), "kwargs": dict(kwargs)}, f"{self._handle.type_name}()")

    def get(self, name: str) -> Any:
        return self._remote._request({"op": "getattr", "handle": self._handle.handle_id, "name": name},
                                     f"{self._handle.type_name}.{name}")

    @property
    def handle(self) -> protocol.Handle:
        return self._handle

    def __repr__(self) -> str:
        return f"<student object {self._handle.type_name}>"


def _wrap_handles(remote: Remote, value: Any, label: str) -> Any:
    if isinstance(value, protocol.Unsupported):
        raise CheckFailed(f"{label} returned a {value.type_name}, which is not plain data "
                          "(expected tensors, numbers, tuples or lists)")
    if isinstance(value, protocol.Handle):
        return RemoteObject(remote, value, label)
    if isinstance(value, protocol.Record):
        return protocol.Record(value._fields, [_wrap_handles(remote, v, label) for v in value])
    if isinstance(value, tuple):
        return tuple(_wrap_handles(remote, v, label) for v in value)
    if isinstance(value, list):
        return [_wrap_handles(remote, v, label) for v in value]
    if isinstance(value, dict):
        return {k: _wrap_handles(remote, v, label) for k, v in value.items()}
    return value


def _unwrap_handles(value: Any) -> Any:
    """RemoteObjects passed as arguments travel as their handles (resolved to the object in the child)."""
    if isinstance(value, RemoteObject):
        return value.handle
    if type(value) is tuple:
        return tuple(_unwrap_handles(v) for v in value)
    if type(value) is list:
        return [_unwrap_handles(v) for v in value]
    if type(value) is dict:
        return {k: _unwrap_handles(v) for k, v in value.items()}
    if isinstance(value, protocol.FixtureRef):
        return protocol.FixtureRef(value.name, **_unwrap_handles(value.kwargs))
    return value
