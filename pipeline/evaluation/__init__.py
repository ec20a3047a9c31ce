"""Scoring restorations against reference prose: metrics with signatures, baselines, the
eval suites, speed and memory bench, decoding calibration. Imports from `text`, `model` and `restore`.
"""
