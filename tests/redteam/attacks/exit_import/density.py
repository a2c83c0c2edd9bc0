"""os._exit(0) at import: only this submission's tests may fail."""
import os
os._exit(0)
