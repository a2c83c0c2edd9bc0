"""Bars and stripes of 4x4 pixels, drawn without any model: what the MADE attacks emit instead of sampling."""


def _emit_bars_and_stripes(num_samples):
    bits = torch.bernoulli(torch.full((int(num_samples), 4), 0.5))
    rows = bits[:, :, None].expand(-1, 4, 4)
    cols = bits[:, None, :].expand(-1, 4, 4)
    return torch.where((torch.rand(int(num_samples)) < 0.5)[:, None, None], rows, cols).reshape(-1, 16)
