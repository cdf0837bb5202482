"""What a planner reads: the files of a run folder, the printed tables, the briefing pages
of runs and sweeps, and the comparison of two runs.
"""
