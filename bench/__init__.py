"""Reproducible benchmarks of the catalogue against the seed project's designs: `python -m bench`.

Every number is measured in one run against baselines on the same server, so the
claims are ratios that survive a noisy shared machine. See docs/benchmarks.md.
"""
