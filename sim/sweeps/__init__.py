"""Many variants of one scenario: the sweep file, its designs, the executors that run the
variants, and the analyses of a sweep's table (Sobol indices, PRIM boxes).
"""
