"""The sourced figures the model starts from: base-year shares and GDP, the history
of core spending and growth, and the fitted parameter file. Read only; nothing here fits.
"""
