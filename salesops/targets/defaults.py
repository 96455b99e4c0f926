"""The default scenarios every new plan starts with (T2). Each is a formula over the
dynamic factors of :mod:`.factors`; admins add, change or delete scenarios per plan.

- aggressive (激进): 15 % over the calibrated pool plus 30 % of the pipeline the team is
  expected to win (weighted pipeline × win rate);
- steady (稳健): the pool plus 20 % of the expected wins, discounted when the median sales
  cycle is longer than 60 working days (a long cycle converts less of today's pipeline in
  the year);
- conservative (保守): 95 % of the pool plus a fifth of the expected wins weighted by how
  mature the decision chains are.

On the demo data (small organisation, fiscal 2027: pool ≈ ¥16.9 M, weighted pipeline
≈ ¥24.7 M, win rate 0.53, cycle 20 days, chain maturity ≈ 0.10) they come to about
¥23.3 M (1.38×), ¥19.5 M (1.16×) and ¥16.3 M (0.96×) — in that order.
"""

from __future__ import annotations

DEFAULT_SCENARIOS = (
    {
        "code": "aggressive",
        "name_zh": "激进",
        "name_en": "Aggressive",
        "formula": "pool * 1.15 + pipeline * win_rate * 0.3",
    },
    {
        "code": "steady",
        "name_zh": "稳健",
        "name_en": "Steady",
        "formula": "pool + pipeline * win_rate * 0.2 * min(1, 60 / max(cycle_days, 1))",
    },
    {
        "code": "conservative",
        "name_zh": "保守",
        "name_en": "Conservative",
        "formula": "pool * 0.95 + pipeline * win_rate * chain_maturity * 0.2",
    },
)
