"""The rules of scripts/check.py, one module per concern; check.py runs them in order."""
