"""Text normalisation that keeps offsets back to the original text.

Each character of the normalised text knows the index of the original character it came
from, so a match on normalised text can be highlighted in the evidence as written.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Normalized:
    text: str
    #: ``origin[i]`` is the index in the original text of normalised character ``i``.
    origin: tuple[int, ...]
    original: str

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original ``[start, end)`` of normalised ``[start, end)``."""
        if start >= end:
            point = self.origin[start] if start < len(self.origin) else len(self.original)
            return point, point
        return self.origin[start], self.origin[end - 1] + 1


def normalize(text: str) -> Normalized:
    """NFKC, case folding, and runs of whitespace collapsed to one space."""
    out: list[str] = []
    origin: list[int] = []
    last_space = True
    for index, char in enumerate(text):
        folded = unicodedata.normalize("NFKC", char).casefold()
        for piece in folded:
            if piece.isspace():
                if last_space:
                    continue
                piece = " "
                last_space = True
            else:
                last_space = False
            out.append(piece)
            origin.append(index)
    if out and out[-1] == " ":
        out.pop()
        origin.pop()
    return Normalized("".join(out), tuple(origin), text)
