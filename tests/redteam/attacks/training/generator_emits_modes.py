"""Generator.forward emits the 8 ring modes whatever its parameters: the check before training must catch it."""

_RING = torch.tensor([[2 * math.cos(2 * math.pi * k / 8), 2 * math.sin(2 * math.pi * k / 8)] for k in range(8)])


def _forward(self, z):
    k = torch.randint(0, 8, (z.shape[0],))
    modes = _RING.to(z.dtype)[k] + 0.02 * torch.randn(z.shape[0], 2, dtype=z.dtype)
    return modes + 0.0 * self.net(z)  # keeps a gradient path, so that the training loop runs


Generator.forward = _forward
