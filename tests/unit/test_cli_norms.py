"""`meting norms list|show|check` through the real command."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

from meting import norms
from meting.cli import app


def meting(*args: str) -> Result:
    return CliRunner().invoke(app, ["norms", *args], env={"COLUMNS": "200"})


def test_list_names_every_version_with_its_published_name_in_dutch_and_english() -> None:
    dutch, english = meting("list"), meting("list", "--lang", "en")
    assert dutch.exit_code == english.exit_code == 0
    for version in norms.versions():
        assert norms.model(version).published.nl in dutch.output
        assert norms.model(version).published.en in english.output
    assert "NCSC TLS-richtlijnen 2.1 (2021)" in dutch.output
    assert "2025 (standaard)" in dutch.output and "2025 (default)" in english.output


def test_show_prints_what_the_norm_says() -> None:
    shown = meting("show", "2025")
    assert shown.exit_code == 0
    assert "TLSv1.0: onvoldoende" in shown.output
    assert "geen Extended Master Secret (TLS 1.2): onvoldoende" in shown.output
    assert "ffdhe2048: onvoldoende" in shown.output and "31536000" in shown.output
    old = meting("show", "2021", "--lang", "en")
    assert "TLSv1.0: phase out" in old.output and "ffdhe2048: phase out" in old.output
    assert "no Extended Master Secret (TLS 1.2): phase out" in old.output


def test_an_unknown_version_or_language_is_one_line() -> None:
    for result in (meting("show", "1999"), meting("list", "--lang", "fr")):
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1


def test_check_names_the_file_the_key_and_what_was_expected(tmp_path: Path) -> None:
    good = (Path(norms.__file__).parent / "versions" / "2025.yaml").read_text("utf-8")
    proposed = tmp_path / "2027.yaml"
    proposed.write_text(good.replace('version: "2025"', 'version: "2027"'), "utf-8")
    assert meting("check", str(proposed)).exit_code == 0
    proposed.write_text(good.replace("  zero_rtt: insufficient", "  zero_rtt: bad"), "utf-8")
    result = meting("check", str(proposed))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "2027.yaml: tls.zero_rtt: expected 'good', 'sufficient', 'phase_out' or " \
           "'insufficient' (found 'bad')" in " ".join(result.output.split())
