"""`sub` from a test's point of view: student objects as arguments, and public helpers run in the child."""

import pytest
import torch


STUDENT = '''
import torch
class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(3))
    def log_prob(self, x):
        return -((x - self.w) ** 2).sum(-1)
def mean_log_prob(model, x):
    return model.log_prob(x).mean()
'''


def test_objects_travel_as_handles_and_fixtures_run_on_them(sub):
    model = sub.student.Model()
    assert sub.student.mean_log_prob(model, torch.zeros(2, 3)).item() == 0.0  # a RemoteObject as an argument
    assert sub.call_fixture("num_parameters", model) == 3
    torch.manual_seed(0)
    sub._seed(0)
    assert sub.call_fixture("perturb_parameters", model, std=1.0) == 3
    state = sub.call_fixture("state_dict", model)
    torch.manual_seed(0)
    assert torch.equal(state["w"], torch.randn(3))  # the same seeded noise as in the grader
    losses = sub.call_fixture("train_likelihood", model, torch.ones(10, 3), num_steps=20, batch_size=4, lr=0.1)
    assert len(losses) == 20 and losses[-1] < losses[0]
    sub.call_fixture("load_state", model, {"w": torch.ones(3)})
    assert torch.equal(model.log_prob(torch.ones(2, 3)), torch.zeros(2))


def test_only_public_fixture_names(sub):
    from autograder.checks import CheckFailed
    with pytest.raises(CheckFailed):
        sub.call_fixture("_tensor", 1.0)
    with pytest.raises(CheckFailed):
        sub.call_fixture("no_such_helper")
