import os
import sys

# the schedule tests' helpers (programs, the IR interpreter)
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "schedule"))
