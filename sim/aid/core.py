"""Aid counted toward the donors' core defence spending (the Hague declaration, SPEC 3.3).

The Hague Summit Declaration lets allies count "direct contributions to Ukraine's defence and
defence industry" in their defence spending. A scenario says how (``counts_toward_core``):
``"on_top"``, a donor's aid is a rise on top of its defence plan, so the aid it pays in a year,
as a share of its GDP, is added to its core share before the spending tally counts the block
(the core share and P(core goal) move); ``"inside"``, the aid is part of the planned budget, so
the core share is unchanged and the aid is reported as a share of it; ``"no"``, neither.
Aid counts in the year the donor pays it (after the contracting lag), as delivered.
"""

from __future__ import annotations

import numpy as np

from sim.aid.outcome import AidOutcome
from sim.scenario.aid import AidModel
from sim.spending.engine import Paths
from sim.spending.inputs import ModelInputs


def aid_paid_usd(model: AidModel, outcome: AidOutcome, inputs: ModelInputs) -> np.ndarray:
    """USD each assessed ally pays as aid in each year of the spending model.

    Shape (years, draws, allies), in ``inputs`` order; donors outside the spending model and
    years outside its range are left out.
    """
    years, codes = inputs.years, inputs.codes
    paid = np.zeros((len(years), outcome.draws, len(codes)))  # (years, draws, allies) USD
    rows = np.arange(outcome.draws)
    for j, pledge in enumerate(model.pledges):
        if pledge.donor not in codes:
            continue
        month = outcome.paid_month[:, j]  # (draws,) -1 if never paid
        t = model.first_year + month // 12 - years[0]  # (draws,) year index
        counted = (month >= 0) & (t >= 0) & (t < len(years))
        column = np.full(int(np.count_nonzero(counted)), codes.index(pledge.donor))
        np.add.at(paid, (t[counted], rows[counted], column), outcome.pledged_usd[counted, j])
    return paid


def add_on_top(model: AidModel, outcome: AidOutcome, inputs: ModelInputs, paths: Paths) -> None:
    """Add each ally's aid paid, % of its GDP, to its core share in ``paths`` (in place), with
    and without threat events alike."""
    share = 100.0 * aid_paid_usd(model, outcome, inputs) / paths.gdp_usd  # (years, draws, allies)
    np.add(paths.core_share, share, out=paths.core_share)
    calm = paths.core_share_without_threat_events
    if calm is not None:
        np.add(calm, share, out=calm)
