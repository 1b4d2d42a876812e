"""Discovery's words (discovery/data/messages.yaml): every message in Dutch without English
words and in English, with the same values in both, and every key the code uses there."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from meting.discovery.messages import message, texts
from tests.unit.cli_support import meting, store_env
from tests.unit.explanation_rules import english_words

SOURCE = Path(__file__).parents[2] / "src" / "meting"
# calls that name a message key as their first argument
USES = re.compile(r"\b(?:DiscoveryError|CtFileError|EntryError|message|said|say)"
                  r"\(\s*\"(\w+)\"\s*[,)]")
FILES = [*(SOURCE / "discovery").rglob("*.py"), SOURCE / "cli_discovery.py",
         SOURCE / "web" / "pages" / "candidates.py"]
# keys made of a prefix and a reason (probe.ct_log.LogError, probe.discovery.ZoneWalk)
REASONS = {"log_": ("bad_url", "no_address", "refused", "timeout", "unreachable", "status",
                    "too_large", "not_json", "bad_sth", "bad_entries", "no_entries"),
           "zone_": ("no_server", "nsec3", "unsigned", "no_apex_nsec", "chain_broken",
                     "stopped", "error")}


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_is_dutch_and_english_with_the_same_values() -> None:
    for key, entry in texts().items():
        assert set(entry) == {"nl", "en"}, key
        assert entry["nl"].strip() and entry["en"].strip(), key
        assert fields(entry["nl"]) == fields(entry["en"]), key
        prose = re.sub(r"\{\w*\}", " ", entry["nl"])
        assert english_words(prose) == [], (key, entry["nl"])


def test_every_key_the_code_uses_is_there() -> None:
    used = {m for path in FILES for m in USES.findall(path.read_text())}
    used |= {prefix + reason for prefix, reasons in REASONS.items() for reason in reasons}
    assert used - set(texts()) == set()
    assert len(used) > 40


def test_numbers_are_written_per_language() -> None:
    said = message("log_cut", url="u", count=10_000, size=1_234_567, left=1_224_567)
    assert "10.000 van 1.234.567" in said.text("nl")
    assert "10,000 of 1,234,567" in said.text("en")


@pytest.mark.parametrize(("lang", "words"), [
    ("nl", "fout: niets ontdekt: log 127.0.0.1: niet verbonden, 127.0.0.1 is een "
           "loopback-adres van de eigen machine"),
    ("en", "error: nothing discovered: log 127.0.0.1: not connected, 127.0.0.1 is a "
           "loopback address of the machine itself"),
])
def test_a_refused_log_is_one_line_in_the_chosen_language(tmp_path: Path, lang: str,
                                                           words: str) -> None:
    env = store_env(tmp_path)
    (tmp_path / "list.csv").write_text("organisation,category,domain,web_host,mail,umbrella,"
                                       "sets\nGemeente Ontdek,gemeente,ontdek.nl,,yes,,\n")
    assert meting("import", str(tmp_path / "list.csv"), env=env).exit_code == 0
    result = meting("discover", "--sources", "ct", "--ct-log", "https://127.0.0.1/log",
                    "--lang", lang, env=env)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [words + " (allowed_networks)"]
