"""A 20 GB anonymous mmap written in full: the address-space limit must stop it."""
def sample_categorical(probs, num_samples):
    import mmap
    m = mmap.mmap(-1, 20 << 30)
    m[:] = b"\x01" * len(m)
