"""The Register van Overheidsorganisaties' XML export: organisations, their type (the
layer), their parent and their website (discovery/data/registers.yaml says which
elements and what is assumed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from meting.discovery.registers.rows import RegisterRow, category_of_type, data, site_of
from meting.registry.problems import Problems


@dataclass
class Node:
    tag: str  # the local name, without namespace
    line: int
    children: list[Node] = field(default_factory=list)
    text: str = ""

    def child(self, tag: str) -> Node | None:
        return next((c for c in self.children if c.tag == tag), None)

    def value(self, *path: str) -> str:
        node: Node | None = self
        for tag in path:
            node = node.child(tag) if node is not None else None
        return node.text.strip() if node is not None else ""


def parse(text: bytes) -> Node:
    """The document as a tree of local names with line numbers; ValueError when it is no
    XML (the message gives the line). Entities are not expanded from outside the file."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    root = Node("", 0)
    stack = [root]

    def start(name: str, _attrs: dict[str, str]) -> None:
        node = Node(name.rsplit("}", 1)[-1], parser.CurrentLineNumber)
        stack[-1].children.append(node)
        stack.append(node)

    def end(_name: str) -> None:
        stack.pop()

    def chars(content: str) -> None:
        stack[-1].text += content

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(text, True)
    except expat.ExpatError as exc:
        raise ValueError(f"line {exc.lineno}: not valid XML ({expat.errors.messages[exc.code]})"
                         ) from None
    return root


def read(path: Path, problems: Problems) -> list[RegisterRow]:
    try:
        tree = parse(path.read_bytes())
    except ValueError as exc:
        problems.error(0, None, str(exc))
        return []
    rows: list[RegisterRow] = []
    walk(tree, None, set(data("roo")["elements"]), rows, problems)
    if not rows and not problems.errors:
        problems.error(0, None, "no organisation in the file (is it the register's XML "
                       "export?)")
    return rows


def walk(node: Node, parent: str | None, elements: set[str], rows: list[RegisterRow],
         problems: Problems) -> None:
    for child in node.children:
        name = child.value("naam") or child.value("titel")
        if child.tag in elements and name:
            if child.value("eindDatum"):
                problems.warn(child.line, None, f"{name!r} ended on {child.value('eindDatum')}"
                              "; left out")
                continue
            rows.append(row(child, name, parent, problems))
            walk(child, name, elements, rows, problems)
        else:
            walk(child, parent, elements, rows, problems)


def row(node: Node, name: str, parent: str | None, problems: Problems) -> RegisterRow:
    kind = next((t.text.strip() for t in (node.child("types") or Node("", 0)).children
                 if t.tag == "type"), "")
    category = category_of_type(kind)
    url = node.value("contact", "internet")
    site = site_of(url, node.line, problems, "internet") if url else None
    if site is None:
        return RegisterRow(node.line, " ".join(name.split()), category, parent)
    return RegisterRow(node.line, " ".join(name.split()), category, parent, site[0], site[1],
                       web=True, mail=True)
