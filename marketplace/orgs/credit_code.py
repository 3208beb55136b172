"""统一社会信用代码 (unified social credit code) check per GB 32100-2015."""
from __future__ import annotations

# The code alphabet leaves out I, O, Z, S and V.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUES = {ch: i for i, ch in enumerate(ALPHABET)}


def normalize(code: str) -> str:
    return (code or "").strip().upper().replace(" ", "")


def check_char(first17: str) -> str:
    """The 18th character for the first 17 (which must all be in ALPHABET)."""
    total = sum(_VALUES[ch] * w for ch, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    code = normalize(code)
    if len(code) != 18 or any(ch not in _VALUES for ch in code):
        return False
    return check_char(code[:17]) == code[17]


def complete(first17: str) -> str:
    """first17 + its check character (used to make demo codes)."""
    first17 = normalize(first17)
    return first17 + check_char(first17)
