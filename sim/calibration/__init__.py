"""Fitting the model to history: the fit that writes calibration/parameters.toml, the
out-of-sample backtest, and the provenance of every calibrated value.
"""
