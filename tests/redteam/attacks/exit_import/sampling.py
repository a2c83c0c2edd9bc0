"""sys.exit(0) at import: the grader must report SystemExit and go on."""
import sys
sys.exit(0)
