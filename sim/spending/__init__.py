"""The spending model (SPEC 3.1, 3.2 and its mechanisms): a scenario laid out as arrays,
the engine and its compiled kernels, and the streaming tally of one block of draws.
"""
