"""Fixtures shared by every folder of project tests."""
import pytest
import torch


@pytest.fixture
def seed_and_one_thread():
    """torch's global seed at 0 and one intra-op thread for the test (the machine's cores are shared);
    the thread count is restored afterwards. Use with `pytestmark = pytest.mark.usefixtures(...)`."""
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
