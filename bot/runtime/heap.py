"""The garbage collector, tuned for an event loop that many chats share.

CPython's cyclic collector pauses the whole process while it scans; a full collection
scans every tracked object. Right after start-up that is mostly what the imports made
(modules, classes, functions, Babel catalogs), which lives as long as the bot: scanned
again and again for nothing, it made each full collection a pause of ~150 ms on a
busy plan here, and every chat waited that long. `settle_after_start_up` moves
those objects out of the collector's sight once, when start-up is over.
"""

from __future__ import annotations

import gc


def settle_after_start_up() -> None:
    """Collect what start-up left over, then freeze the survivors (gc.freeze): they are
    never scanned again. Objects made later are collected as usual."""
    gc.collect()
    gc.freeze()
