"""Declares an 8 GB reply: the grader must refuse it without reading it."""
def sample_categorical(probs, num_samples):
    _os.write(_FD_OUT, _struct.pack(">II", 0xFFFFFFFF, 0xFFFFFFFF))   # a 8 GB reply, declared
    _time.sleep(30)
