"""Text files from the outside world, read at the door: bounded in size, decoded strictly.

UTF-8 (with or without a BOM) unless the user names an encoding (``--encoding``); UTF-16
and UTF-32 are recognised by their BOM. Bytes that are not valid in the encoding are
refused with the line and the byte where they are, never guessed at (a guess stores
mojibake). Names and labels are checked by ``check_name``: the same limits on every
database, no control characters, no NUL.
"""

from __future__ import annotations

import codecs
import io
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from meting.errors import InputError

# (BOM, codec): the longer BOMs first (UTF-32 LE starts with UTF-16 LE's BOM)
BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"))
ALLOWED_CONTROLS = frozenset("\t\n\r")  # in free text; never in a name


class TextError(InputError):
    """Text that cannot be read; the message names the file, line and byte."""


def _check_size(path: Path, max_bytes: int | None, what: str) -> None:
    """TextError for a directory or a file over ``max_bytes``; OSError when it is missing."""
    size = path.stat().st_size
    if path.is_dir():
        raise TextError(f"{path} is a directory, not a {what}")
    if max_bytes is not None and size > max_bytes:
        raise TextError(f"{path} has {size:,} bytes, more than the {max_bytes:,} allowed "
                        f"for a {what} (setting max_file_bytes, METING_MAX_FILE_BYTES)")


def read_text(path: Path, *, encoding: str | None = None, max_bytes: int | None = None,
              what: str = "file") -> str:
    """The file's text; TextError when it is too large, unreadable or not in its encoding."""
    try:
        _check_size(path, max_bytes, what)
        data = path.read_bytes()
    except OSError as exc:
        raise TextError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return decode(data, str(path), encoding)


def decode(data: bytes, name: str, encoding: str | None = None) -> str:
    encoding = _checked_encoding(encoding)
    if encoding is None:
        encoding = "utf-8"
        for bom, bom_codec in BOMS:
            if data.startswith(bom):
                data, encoding = data[len(bom):], bom_codec
                break
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise TextError(f"{name} {where(data, exc.start)}: not valid {encoding} "
                        f"(byte 0x{data[exc.start]:02x}); save the file as UTF-8, or name "
                        "its encoding with --encoding (e.g. --encoding cp1252)") from None
    return text.removeprefix("\ufeff")


def where(data: bytes, offset: int) -> str:
    """'line L, byte B' of a byte offset (both counted from 1)."""
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    return f"line {line}, byte {offset - start + 1}"


def name_fault(text: str, limit: int) -> tuple[str, dict[str, int | str]] | None:
    """Why ``text`` cannot be a name, as a reason (nul, control, too_long) and its values,
    for a caller that words it itself; None when it can be one."""
    if "\x00" in text:
        return "nul", {}
    control = next((c for c in text if unicodedata.category(c) in ("Cc", "Cf")
                    and c not in "\u200d\u200c"), None)
    if control is not None:
        return "control", {"code": f"{ord(control):04X}"}
    if len(text) > limit:
        return "too_long", {"length": len(text), "limit": limit}
    return None


def name_problem(text: str, limit: int, what: str) -> str | None:
    """Why ``text`` cannot be a name of this kind (None when it can)."""
    fault = name_fault(text, limit)
    if fault is None:
        return None
    reason, values = fault
    if reason == "nul":
        return f"the {what} holds a NUL character"
    if reason == "control":
        return f"the {what} holds the control character U+{values['code']}"
    return f"the {what} has {values['length']:,} characters, more than the {limit:,} allowed"


def text_problem(text: str, limit: int, what: str) -> str | None:
    """Why ``text`` cannot be free text of this kind (tabs and line breaks allowed)."""
    if "\x00" in text:
        return f"the {what} holds a NUL character"
    control = next((c for c in text if unicodedata.category(c) == "Cc"
                    and c not in ALLOWED_CONTROLS), None)
    if control is not None:
        return f"the {what} holds the control character U+{ord(control):04X}"
    if len(text) > limit:
        return f"the {what} has {len(text):,} characters, more than the {limit:,} allowed"
    return None


def check_name(text: str, limit: int, what: str) -> str:
    """``text`` itself, or TextError when it cannot be a name."""
    problem = name_problem(text, limit, what)
    if problem is not None:
        raise TextError(f"{problem}: {text[:60]!r}")
    return text


def iter_lines(path: Path, *, encoding: str | None = None, max_bytes: int | None = None,
               what: str = "file") -> Iterator[str]:
    """The file's lines (with their line ends), read one at a time, checked like
    ``read_text``: a byte that is not valid in the encoding stops the reading with the line
    and the byte. An encoding whose newline is not the byte 0x0a (UTF-16, UTF-32) cannot be
    split into lines before decoding; such a file is decoded whole."""
    encoding = _checked_encoding(encoding)
    try:
        _check_size(path, max_bytes, what)
        with path.open("rb") as stream:
            start = stream.read(4)
            if encoding is None and any(start.startswith(bom) for bom, _ in BOMS[:2] + BOMS[3:]):
                yield from io.StringIO(decode(start + stream.read(), str(path)), newline="")
                return
            stream.seek(0)
            yield from _decoded_lines(stream, str(path), encoding or "utf-8")
    except OSError as exc:
        raise TextError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _checked_encoding(encoding: str | None) -> str | None:
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise TextError(f"--encoding {encoding!r} is not an encoding Python knows "
                            "(e.g. utf-8, cp1252, latin-1, utf-16)") from None
    return encoding


def _decoded_lines(stream: IO[bytes], name: str, encoding: str) -> Iterator[str]:
    if "\n".encode(encoding) != b"\n":
        yield from io.StringIO(decode(stream.read(), name, encoding), newline="")
        return
    for number, data in enumerate(stream, start=1):
        if number == 1 and encoding.replace("_", "-").lower() in ("utf-8", "utf8"):
            data = data.removeprefix(codecs.BOM_UTF8)
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise TextError(f"{name} line {number}, byte {exc.start + 1}: not valid "
                            f"{encoding} (byte 0x{data[exc.start]:02x}); save the file as "
                            "UTF-8, or name its encoding with --encoding (e.g. --encoding "
                            "cp1252)") from None
        yield text.removeprefix("\ufeff") if number == 1 else text
