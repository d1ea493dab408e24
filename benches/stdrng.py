"""The random draws of the Rust crate's ``rand`` 0.8 ``StdRng`` (ChaCha12), in plain Python.

The plain-Python ``split`` environment (``split_env_python.py``) draws its episodes (start
epoch, link offsets, devices and models of the requests) with this generator, so that for the
same seed it plays exactly the episodes of ``mei4llm/Split-v0`` and the two can be compared
step by step. Only what the environment uses is here:

- ``StdRng(seed)`` is ``StdRng::seed_from_u64(seed)``: the 32-byte key filled by PCG32 from the
  seed (``rand_core`` 0.6), a ChaCha stream with 12 rounds, a 64-bit block counter from 0 and
  stream 0 (``rand_chacha`` 0.3);
- ``next_u32`` and ``next_u64`` read the keystream as little-endian words, a ``u64`` being two
  consecutive words, low first (``rand_core::block::BlockRng``);
- ``below_u32`` / ``below_u64`` are ``gen_range(0..n)`` for ``u32`` and ``usize``: Lemire's
  widening multiply with the "conservative zone" rejection of ``rand`` 0.8;
- ``unit_f64`` is ``gen::<f64>()``: the top 53 bits of a ``u64`` times 2⁻⁵³;
- ``shuffle`` is ``SliceRandom::shuffle`` (Durstenfeld, indices drawn as ``u32``).

References: D. J. Bernstein, "ChaCha, a variant of Salsa20" (2008); M. E. O'Neill, "PCG: a
family of simple fast space-efficient statistically good algorithms for random number
generation" (2014); D. Lemire, "Fast random integer generation in an interval" (ACM TOMACS
2019).
"""

from __future__ import annotations

from typing import MutableSequence

MASK32 = 0xFFFF_FFFF
MASK64 = 0xFFFF_FFFF_FFFF_FFFF
SIGMA = (0x6170_7865, 0x3320_646E, 0x7962_2D32, 0x6B20_6574)
"""The ChaCha constant words, "expand 32-byte k"."""
DOUBLE_ROUNDS = 6
"""ChaCha12: twelve rounds, six column-and-diagonal pairs."""


def _pcg32_key(state: int) -> list[int]:
    """The eight key words ``seed_from_u64`` derives from ``state`` with PCG32 (XSH RR)."""
    words = []
    for _ in range(8):
        state = (state * 6364136223846793005 + 11634580027462260723) & MASK64
        xorshifted = (((state >> 18) ^ state) >> 27) & MASK32
        rot = state >> 59
        words.append(((xorshifted >> rot) | (xorshifted << ((32 - rot) & 31))) & MASK32)
    return words


def _chacha_block(key: list[int], counter: int) -> list[int]:
    """The sixteen output words of block ``counter`` of the stream of ``key`` (stream 0)."""
    x = [*SIGMA, *key, counter & MASK32, counter >> 32, 0, 0]
    s = list(x)

    def quarter(a: int, b: int, c: int, d: int) -> None:
        s[a] = (s[a] + s[b]) & MASK32
        t = s[d] ^ s[a]
        s[d] = ((t << 16) | (t >> 16)) & MASK32
        s[c] = (s[c] + s[d]) & MASK32
        t = s[b] ^ s[c]
        s[b] = ((t << 12) | (t >> 20)) & MASK32
        s[a] = (s[a] + s[b]) & MASK32
        t = s[d] ^ s[a]
        s[d] = ((t << 8) | (t >> 24)) & MASK32
        s[c] = (s[c] + s[d]) & MASK32
        t = s[b] ^ s[c]
        s[b] = ((t << 7) | (t >> 25)) & MASK32

    for _ in range(DOUBLE_ROUNDS):
        quarter(0, 4, 8, 12)
        quarter(1, 5, 9, 13)
        quarter(2, 6, 10, 14)
        quarter(3, 7, 11, 15)
        quarter(0, 5, 10, 15)
        quarter(1, 6, 11, 12)
        quarter(2, 7, 8, 13)
        quarter(3, 4, 9, 14)
    return [(a + b) & MASK32 for a, b in zip(s, x)]


class StdRng:
    """``rand::rngs::StdRng::seed_from_u64(seed)`` of ``rand`` 0.8 (see the module docstring)."""

    def __init__(self, seed: int) -> None:
        if not 0 <= seed <= MASK64:
            raise ValueError(f"seed must be an unsigned 64-bit integer, got {seed}")
        self._key = _pcg32_key(seed)
        self._counter = 0
        self._words: list[int] = []
        self._index = 0

    def next_u32(self) -> int:
        """The next keystream word."""
        if self._index == len(self._words):
            self._words = _chacha_block(self._key, self._counter)
            self._counter += 1
            self._index = 0
        word = self._words[self._index]
        self._index += 1
        return word

    def next_u64(self) -> int:
        """Two keystream words, the first one low."""
        low = self.next_u32()
        return low | (self.next_u32() << 32)

    def _below(self, n: int, bits: int, draw) -> int:
        """``gen_range(0..n)`` on ``bits``-bit integers drawn by ``draw``."""
        if not 0 < n <= (1 << bits) - 1:
            raise ValueError(f"the range 0..{n} is empty or too wide for {bits}-bit integers")
        mask = (1 << bits) - 1
        zone = ((n << (bits - n.bit_length())) - 1) & mask
        while True:
            product = draw() * n
            if product & mask <= zone:
                return product >> bits

    def below_u32(self, n: int) -> int:
        """``gen_range(0..n)`` for ``u32``."""
        return self._below(n, 32, self.next_u32)

    def below_u64(self, n: int) -> int:
        """``gen_range(0..n)`` for ``usize`` (``gen_range(0..=m)`` is ``below_u64(m + 1)``)."""
        return self._below(n, 64, self.next_u64)

    def unit_f64(self) -> float:
        """``gen::<f64>()``: uniform on ``[0, 1)`` with 53 random bits."""
        return (self.next_u64() >> 11) * (1.0 / (1 << 53))

    def shuffle(self, items: MutableSequence) -> None:
        """``SliceRandom::shuffle``: shuffles ``items`` in place."""
        for i in range(len(items) - 1, 0, -1):
            j = self.below_u32(i + 1)
            items[i], items[j] = items[j], items[i]
