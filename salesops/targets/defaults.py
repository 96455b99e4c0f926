"""The default scenarios every new plan starts with (T2). Each is a formula over the
dynamic factors of :mod:`.factors`; admins add, change or delete scenarios per plan.

- aggressive (激进): the calibrated pool plus a fifth more, plus half of the pipeline the
  team is expected to win;
- steady (稳健): the pool plus 30 % of the expected wins, discounted when the sales cycle
  is longer than 60 working days (a long cycle converts less of today's pipeline in time);
- conservative (保守): 90 % of the pool plus a fifth of the expected wins, weighted by how
  mature the decision chains are.

On the demo data (a pool in the millions, a pipeline of the same order, win rates near a
third) they land roughly at 1.3×, 1.05× and 0.92× the pool, in that order.
"""

from __future__ import annotations

DEFAULT_SCENARIOS = (
    {
        "code": "aggressive",
        "name_zh": "激进",
        "name_en": "Aggressive",
        "formula": "pool * 1.2 + pipeline * win_rate * 0.5",
    },
    {
        "code": "steady",
        "name_zh": "稳健",
        "name_en": "Steady",
        "formula": "pool + pipeline * win_rate * 0.3 * min(1, 60 / max(cycle_days, 1))",
    },
    {
        "code": "conservative",
        "name_zh": "保守",
        "name_en": "Conservative",
        "formula": "pool * 0.9 + pipeline * win_rate * chain_maturity * 0.2",
    },
)
