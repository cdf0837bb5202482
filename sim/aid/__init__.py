"""Aid to Ukraine (SPEC 3.3): pledges, conditional triggers, delivery flows, two engines.

One module per stage: :mod:`~sim.scenario.aid` validates the ``[aid]`` table,
:mod:`~sim.aid.sampling` draws a block's random inputs, :mod:`~sim.aid.conditions` resolves the
conditional pledges as a fixed point, :mod:`~sim.aid.vector` (NumPy, all draws at once) and
:mod:`~sim.aid.event` (SimPy, one draw, with a trace) turn the same inputs into the same
:class:`~sim.aid.outcome.AidOutcome`, and :mod:`~sim.aid.tally` counts outcomes over blocks.
"""
