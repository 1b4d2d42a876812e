"""Naming RFC 7919 groups: the primes in the data file are checked against the RFC's
formula (appendix A), p = 2^b - 2^(b-64) + (floor(2^(b-130) * e) + X) * 2^64 - 1."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest

from meting.probe import ffdhe

X = {2048: 560316, 3072: 2625351, 4096: 5736041, 6144: 15705020, 8192: 10965728}


def rfc7919_prime(bits: int) -> int:
    with localcontext() as context:
        context.prec = 2600  # digits: enough for 2^8062 * e
        e_part = int(Decimal(2 ** (bits - 130)) * Decimal(1).exp())
    return 2 ** bits - 2 ** (bits - 64) + (e_part + X[bits]) * 2 ** 64 - 1


def as_bytes(value: int, pad: int = 0) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8 + pad, "big")


@pytest.mark.parametrize("bits", sorted(X))
def test_rfc7919_groups_are_named(bits: int) -> None:
    prime = rfc7919_prime(bits)
    assert prime.bit_length() == bits
    assert ffdhe.group_name(as_bytes(prime), b"\x02") == f"ffdhe{bits}"
    assert ffdhe.group_name(bytearray(as_bytes(prime, pad=1)), bytearray(b"\x00\x02")) == \
        f"ffdhe{bits}"  # leading zero bytes do not matter


def test_other_primes_and_generators_are_custom() -> None:
    prime = rfc7919_prime(3072)
    assert ffdhe.group_name(as_bytes(prime), b"\x05") is None
    assert ffdhe.group_name(as_bytes(prime + 2), b"\x02") is None
