"""Long lists across the pipe to a worker process (bot.runtime.workers), in pieces."""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from typing import Generic, TypeVar

from bot.runtime.cooperative import Turns

T = TypeVar("T")

PIECE = 250  # items per pickled piece: a few milliseconds of pickling each


class Pieces(Generic[T]):
    """A long list crossing the pipe to or from a worker as separately pickled pieces.

    The pipe pickles a task's arguments and result in one go, in a thread of the bot's
    process but holding the GIL: 5,000 plan lines full of Decimals took ~120 ms, and the
    event loop (every chat) waited that long. A list packed here on the loop
    (`await Pieces.pack(items)`), a turn for other chats between pieces, crosses the pipe
    as a few bytes objects, which pickle at the speed of a copy; the worker unpacks it
    with `unpack_now()`. Results go the other way: `Pieces.pack_now` in the worker,
    `await pieces.unpack()` on the loop."""

    __slots__ = ("blobs", "count")

    def __init__(self, blobs: list[bytes], count: int) -> None:
        self.blobs = blobs
        self.count = count

    def __len__(self) -> int:
        return self.count

    @classmethod
    async def pack(cls, items: Sequence[T], size: int = PIECE) -> Pieces[T]:
        turns = Turns()
        blobs = []
        for start in range(0, len(items), size):
            await turns.check()
            blobs.append(pickle.dumps(items[start : start + size], pickle.HIGHEST_PROTOCOL))
        return cls(blobs, len(items))

    @classmethod
    def pack_now(cls, items: Sequence[T], size: int = PIECE) -> Pieces[T]:
        blobs = [
            pickle.dumps(items[start : start + size], pickle.HIGHEST_PROTOCOL)
            for start in range(0, len(items), size)
        ]
        return cls(blobs, len(items))

    async def unpack(self) -> list[T]:
        turns = Turns()
        items: list[T] = []
        for blob in self.blobs:
            await turns.check()
            items += pickle.loads(blob)
        return items

    def unpack_now(self) -> list[T]:
        return [item for blob in self.blobs for item in pickle.loads(blob)]
