"""The garbage collector, tuned for an event loop that many chats share.

CPython's cyclic collector pauses the whole process while it scans; a full collection
scans every tracked object, and every chat waits that long.

- Right after start-up the heap is mostly what the imports made (modules, classes,
  functions, Babel catalogs), which lives as long as the bot: scanned again and again
  for nothing, it made each full collection a pause of ~150 ms on a busy plan here.
  `settle_after_start_up` moves those objects out of the collector's sight once.
- A heavy job (a 50,000-row import, a 5,000-SKU plan) builds a large working set of
  rows, Decimals and tuples, freed by reference counting when it ends. While it grows,
  CPython runs a full collection every time the heap grows by a quarter: a dozen pauses
  of 50–350 ms for one import. `full_collections_deferred` holds full collections off
  while such a job runs (the young generations are still collected, cheaply); the next
  one comes after the job, on a heap that is small again.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

DEFERRED_THRESHOLD = 1_000_000  # young collections before a full one: never, in practice


def settle_after_start_up() -> None:
    """Collect what start-up left over, then freeze the survivors (gc.freeze): they are
    never scanned again. Objects made later are collected as usual."""
    gc.collect()
    gc.freeze()


@contextlib.contextmanager
def full_collections_deferred() -> Iterator[None]:
    """No full (generation 2) collection inside the block; the thresholds are restored
    after it. Not reentrant: `cooperative.heavy_work` enters it once, in its one lane."""
    young, middle, full = gc.get_threshold()
    gc.set_threshold(young, middle, DEFERRED_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(young, middle, full)
