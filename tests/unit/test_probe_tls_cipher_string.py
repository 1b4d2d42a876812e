"""The cipher lists the TLS prober offers (probe/tls.py ``cipher_string``): written as the
version's base rules minus the suites left out, OpenSSL makes of them exactly the suites,
in exactly the order, that the list of names gives — so the ClientHello is the same."""

from __future__ import annotations

import random

import pytest
from nassl.ssl_client import SslClient

from meting.probe import tls

VERSIONS = ["TLSv1.2", "TLSv1.1", "TLSv1.0"]


def offered(cipher_list: str) -> list[str]:
    client = SslClient()
    client.set_cipher_list(cipher_list)
    return [c for c in client.get_cipher_list() if not c.startswith("TLS_")]


@pytest.mark.parametrize("version", VERSIONS)
def test_the_base_rules_give_the_version_s_suites_with_this_openssl(version: str) -> None:
    assert tls.compact_base(version) == tls.BASE_RULES[version]
    assert offered(tls.BASE_RULES[version] + ":@SECLEVEL=0") == tls.suites_for(version)


@pytest.mark.parametrize("version", VERSIONS)
def test_a_compact_list_offers_what_the_names_offer(version: str) -> None:
    full = tls.suites_for(version)
    chance = random.Random(f"cipher-string-{version}")
    for left_out in (1, 3, 12, len(full) // 3, len(full) - 2):
        dropped = set(chance.sample(full, left_out))
        suites = [s for s in full if s not in dropped]
        text = tls.cipher_string(version, suites)
        assert offered(text) == suites
        by_name = ":".join(suites) + ":@SECLEVEL=0"
        assert offered(by_name) == suites
        assert (text != by_name) == (left_out < len(suites)), text[:80]


def test_a_list_in_another_order_is_offered_by_name() -> None:
    suites = list(reversed(tls.suites_for("TLSv1.2")[:4]))
    text = tls.cipher_string("TLSv1.2", suites)
    assert text == ":".join(suites) + ":@SECLEVEL=0"
    assert offered(text) == suites


def test_a_suite_the_version_lacks_is_offered_by_name() -> None:
    suites = [*tls.suites_for("TLSv1.0")[:-1], "ECDHE-ECDSA-AES256-GCM-SHA384"]
    assert tls.cipher_string("TLSv1.0", suites) == ":".join(suites) + ":@SECLEVEL=0"
