"""The demo gallery. In a checkout it is the top-level demos/ folder; the wheel ships it as
``microgradx.demos``. Run one with ``microgradx demo NAME`` (``microgradx demo --list`` names them)."""
