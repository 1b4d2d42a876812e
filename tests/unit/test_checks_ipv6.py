"""IPv6 verdicts from recorded addresses and reachability."""

from __future__ import annotations

from meting.checks.ipv6 import (
    SameSite,
    ServerIpv6,
    judge_mail,
    judge_nameservers,
    judge_web,
)
from meting.checks.same_site import page_distance
from meting.checks.verdict import Status


def server(name: str, answered: dict[str, bool]) -> ServerIpv6:
    return ServerIpv6(name, tuple(answered), answered)


GOOD_NS = [server("ns1.x.nl", {"2001:db8::1": True}), server("ns2.x.nl", {"2001:db8::2": True})]
PAGE = "Welkom bij de gemeente. Hier vindt u informatie over afval, paspoorten en wonen. " * 5


def test_name_servers() -> None:
    assert judge_nameservers(GOOD_NS)["ipv6_nameserver"].status == Status.PASSED
    single = [server("ns1.x.nl", {}), GOOD_NS[1]]
    result = judge_nameservers(single)
    assert result["ns_aaaa"].status == Status.FAILED
    assert result["ipv6_nameserver"].status == Status.FAILED
    dead = [GOOD_NS[0], server("ns2.x.nl", {"2001:db8::2": False})]
    result = judge_nameservers(dead)
    assert result["ns_aaaa"].status == Status.PASSED
    assert result["ns_reach"].status == Status.FAILED
    assert "2001:db8::2" in result["ipv6_nameserver"].explanation.en


def test_web_server() -> None:
    ns = judge_nameservers(GOOD_NS)
    same = page_distance(PAGE, PAGE + " extra")
    ok = judge_web(server("www.x.nl", {"2001:db8::10": True}), same, ns)
    assert ok["ipv6_webserver"].status == ok["ipv6_web"].status == Status.PASSED
    none = judge_web(server("www.x.nl", {}), None, ns)
    assert none["web_aaaa"].status == Status.FAILED
    assert none["ipv6_web"].status == Status.FAILED
    dead = judge_web(server("www.x.nl", {"2001:db8::10": False}), None, ns)
    assert dead["web_reach"].status == Status.FAILED
    assert dead["ipv6_webserver"].status == Status.FAILED
    other = page_distance(PAGE, "<html><body>Elders</body></html>")
    assert other > 10
    assert judge_web(server("www.x.nl", {"2001:db8::10": True}), other, ns)[
        "web_ipv46"].status == Status.FAILED
    bad_ns = judge_nameservers([GOOD_NS[0]])
    assert judge_web(server("www.x.nl", {"2001:db8::10": True}), same, bad_ns)[
        "ipv6_web"].status == Status.FAILED


def test_mail_servers_and_the_ipv6_mail_rule() -> None:
    ns = judge_nameservers(GOOD_NS)
    good = judge_mail([server("mx.x.nl", {"2001:db8::25": True})], False, ns)
    assert good["ipv6_mailserver"].status == good["ipv6_mail"].status == Status.PASSED
    no_aaaa = judge_mail([server("mx.x.nl", {})], False, ns)
    assert no_aaaa["mx_aaaa"].status == Status.FAILED
    assert no_aaaa["ipv6_mail"].status == Status.FAILED
    # no MX: info, and ipv6_mail still passes on the name servers (SPEC §6)
    no_mx = judge_mail([], False, ns)
    assert no_mx["ipv6_mailserver"].status == Status.INFO
    assert no_mx["ipv6_mail"].status == Status.PASSED
    null_mx = judge_mail([], True, ns)
    assert null_mx["ipv6_mailserver"].status == Status.NOT_TESTED
    assert null_mx["ipv6_mail"].status == Status.PASSED
    assert judge_mail([], True, judge_nameservers([]))["ipv6_mail"].status == Status.FAILED


def test_an_aaaa_lookup_without_an_answer_is_an_error_not_no_ipv6() -> None:
    timed_out = ServerIpv6("ns2.x.nl", (), {}, aaaa_error="timeout")
    result = judge_nameservers([GOOD_NS[0], timed_out])
    assert result["ns_aaaa"].status == result["ipv6_nameserver"].status == Status.ERROR
    assert "ns2.x.nl (no answer in time)" in result["ipv6_nameserver"].explanation.en
    # a certain failure elsewhere still fails the column
    dead = server("ns1.x.nl", {"2001:db8::1": False})
    assert judge_nameservers([dead, timed_out])["ipv6_nameserver"].status == Status.FAILED
    ns = judge_nameservers(GOOD_NS)
    web = judge_web(ServerIpv6("www.x.nl", (), {}, aaaa_error="SERVFAIL"), None, ns)
    assert web["web_aaaa"].status == web["ipv6_webserver"].status == Status.ERROR
    assert web["ipv6_web"].status == Status.ERROR
    mx = judge_mail([server("mx1.x.nl", {"2001:db8::25": True}),
                     ServerIpv6("mx2.x.nl", (), {}, aaaa_error="timeout")], False, ns)
    assert mx["mx_aaaa"].status == mx["ipv6_mailserver"].status == Status.ERROR
    assert mx["ipv6_mail"].status == Status.ERROR
    no_v6 = judge_mail([server("mx1.x.nl", {}), ServerIpv6("mx2.x.nl", (), {}, "timeout")],
                       False, ns)
    assert no_v6["ipv6_mailserver"].status == Status.FAILED


def test_an_ipv6_only_web_host_is_not_compared_with_ipv4() -> None:
    ns = judge_nameservers(GOOD_NS)
    only_v6 = server("www.x.nl", {"2001:db8::10": True})
    for site in (None, SameSite(no_ipv4=("geen A-record", "no A record")),
                 SameSite(no_ipv4=("IPv4 mislukt", "IPv4 fetch failed"))):
        result = judge_web(only_v6, site, ns)
        assert result["web_ipv46"].status == Status.NOT_TESTED
        assert result["ipv6_webserver"].status == result["ipv6_web"].status == Status.PASSED
    broken_v6 = judge_web(only_v6, SameSite(error=("IPv6: geen antwoord", "IPv6: no answer")), ns)
    assert broken_v6["web_ipv46"].status == broken_v6["ipv6_webserver"].status == Status.ERROR


def test_pages_compared_as_internet_nl_compares_them() -> None:
    """Per-request nonces and ASP.NET view state do not make two pages different; a page
    of other text does (difflib quick ratio, limit 10 of 100: checks/data/same_site.yaml)."""
    v4 = ('<script nonce="a1b2c3">x()</script><form><input type="hidden" name="__VIEWSTATE" '
          'value="AAAA' + "x" * 400 + '"></form>' + PAGE)
    v6 = ('<script nonce="zz99yy">x()</script><form><input type="hidden" name="__VIEWSTATE" '
          'value="BBBB' + "q" * 400 + '"></form>' + PAGE)
    assert page_distance(v4, v6) == 0
    assert page_distance(PAGE, PAGE[: len(PAGE) * 95 // 100]) <= 10
    assert page_distance(PAGE, PAGE[: len(PAGE) * 70 // 100]) > 10


def test_counts_of_servers_read_as_words_not_as_name_server_s() -> None:
    one = judge_nameservers([server("ns1.x.nl", {}), GOOD_NS[1]])["ns_aaaa"].explanation
    assert "Slechts 1 naamserver heeft een IPv6-adres" in one.nl
    assert "Only 1 name server has an IPv6 address" in one.en
    none = judge_nameservers([server("ns1.x.nl", {}), server("ns2.x.nl", {})])
    assert "Geen enkele naamserver heeft een IPv6-adres" in none["ns_aaaa"].explanation.nl
    assert "No name server has an IPv6 address" in none["ns_aaaa"].explanation.en
    ns = judge_nameservers(GOOD_NS)
    single = judge_mail([server("mx.x.nl", {})], False, ns)["mx_aaaa"].explanation
    both = judge_mail([server("mx1.x.nl", {}), server("mx2.x.nl", {})], False,
                      ns)["mx_aaaa"].explanation
    assert single.nl.startswith("Mailserver zonder") and single.en.startswith("Mail server ")
    assert both.nl.startswith("Mailservers zonder") and both.en.startswith("Mail servers ")
    for text in (one.nl, one.en, single.nl, single.en, both.nl, both.en):
        assert "(s)" not in text
