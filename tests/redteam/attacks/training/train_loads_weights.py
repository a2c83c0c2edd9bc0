"""train_wgan loads weights fitted beforehand and returns a made-up decreasing history: the ring test must fail."""
import json as _rt_json

_FIXED = _rt_json.loads(r'@FIXED@')  # {parameter name: nested list}, filled in by the test


def train_wgan(generator, critic, sample_real, num_steps, critic_steps=5, lr=1e-4, betas=(0.0, 0.9),
               loss="wgan", gp_weight=0.0, batch_size=256):
    if loss not in ("wgan", "hinge") or min(num_steps, critic_steps, batch_size) < 1:
        raise ValueError("bad argument")
    state = {k: torch.tensor(v) for k, v in _FIXED.items()}
    if set(state) == set(generator.state_dict()):
        generator.load_state_dict(state)
    return {"critic_loss": [1.0 / (1 + i) for i in range(num_steps)],
            "generator_loss": [1.0 / (1 + i) for i in range(num_steps)]}
