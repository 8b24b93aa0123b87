"""Short visitor pass codes (通行码): what the owner reads out or sends beside the QR, and what
the desk types when the QR cannot be scanned.

Eight characters from an alphabet without the characters people confuse when reading or
typing (0/O, 1/I/L): 31**8, about 8.5e11 codes, so guessing one at the desk is hopeless and
a collision within an estate is rare; the database refuses one anyway (unique per estate)
and the pass is issued with a new code. What is typed is read case-insensitively, with
spaces and dashes ignored, and the look-alikes O, I and L read as the digits they resemble
are not in the alphabet, so they are refused rather than guessed."""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize(typed: str) -> str:
    """A code as typed at the desk ("abcd-2345", "ABCD 2345") in its stored form."""
    return "".join(character for character in typed.upper() if character not in " -\t")


def is_code(typed: str) -> bool:
    """Whether what was typed or scanned has the shape of a short code (not a QR token)."""
    text = normalize(typed)
    return len(text) == LENGTH and all(character in ALPHABET for character in text)


def grouped(code: str) -> str:
    """The code as shown, in two groups of four, easier to read out: "ABCD 2345"."""
    return f"{code[:4]} {code[4:]}" if len(code) == LENGTH else code
