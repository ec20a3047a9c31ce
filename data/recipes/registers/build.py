#!/usr/bin/env python3
"""Build the register corpora (fiction, news, speeches, forum, science, howto) from pinned
snapshots of public GitHub repositories.

Every source is read straight from git objects at a pinned commit, so the output does not depend
on a work tree or on what a repository holds today. Output, in the corpus format of
../../../../shared/corpus/README.md (`# Title` per document, `## Heading`, one paragraph a line,
a blank line between documents):

    OUT/<register>.train.txt.gz     documents whose title hash falls outside the held-out slice
    OUT/<register>.heldout.txt.gz   the held-out slice (default 5%, by a hash of register and title)
    OUT/manifest.tsv.gz             one row per document: register, split, source, title, origin, words
    OUT/sources.json                per source: register, repository, commit, paths, licence and evidence,
                                    documents and words (train / held-out)

Usage (from the repository root):

    python data/recipes/registers/build.py --mirrors /work/.mirror --out .cache/registers

--mirrors is a folder holding one git repository per source, named `owner+name`, either as
`owner+name/repo` (a bare snapshot) or as a clone `owner+name` (see README.md for how to get them).
Only the standard library is used.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import html
import io
import json
import re
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_kept_out  # noqa: E402  (n-gram overlap with kept-out texts)

# --------------------------------------------------------------------------------------------
# Documents and cleaning


@dataclass
class Doc:
    title: str
    lines: list[str]  # '## Heading' or paragraph lines
    origin: str  # path or URL inside the source, for attribution


NBSP = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u2009\u200a"), " ")
ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
END_PUNCT = re.compile(r"[.!?:][\"'\u201d\u2019)\]]*$")
URL = re.compile(r"(?:https?://|www\.)\S+")
EMPTY_BRACKETS = re.compile(r"\(\s*[,;:]?\s*\)|\[\s*\]")


def norm(text: str) -> str:
    """Unicode NFC, NBSP and thin spaces to spaces, zero-width characters and soft hyphens out,
    whitespace collapsed."""
    text = unicodedata.normalize("NFC", text).translate(NBSP).translate(ZERO_WIDTH)
    return re.sub(r"\s+", " ", text).strip()


def tidy(text: str) -> str:
    """Remove bare URLs and empty brackets left by removed markup; fix spacing before punctuation."""
    text = URL.sub("", text)
    text = EMPTY_BRACKETS.sub("", text)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r",\s*,", ",", text)
    return norm(text)


def letter_ratio(text: str) -> float:
    return sum(c.isalpha() for c in text) / max(1, len(text))


@dataclass
class Rules:
    min_words: int = 5  # shortest paragraph kept
    end_punct: bool = True  # paragraph must end in . ! ? : (closing quotes or brackets may follow)
    min_letters: float = 0.6  # share of characters that are letters
    min_doc_words: int = 40  # shortest document kept
    max_heading_words: int = 12


def keep_paragraph(text: str, rules: Rules) -> bool:
    if len(text.split()) < rules.min_words:
        return False
    if rules.end_punct and not END_PUNCT.search(text):
        return False
    if letter_ratio(text) < rules.min_letters:
        return False
    if "\ufffd" in text or "{{" in text or "}}" in text or "<" in text and re.search(r"</?[a-zA-Z][^>]*>", text):
        return False
    return True


def finish(doc: Doc, rules: Rules) -> Doc | None:
    """Clean every line, drop short or noisy paragraphs and empty headings, drop short documents."""
    out: list[str] = []
    for line in doc.lines:
        if line.startswith("## "):
            head = tidy(line[3:]).rstrip(".:")
            if head and len(head.split()) <= rules.max_heading_words and letter_ratio(head) > 0.4:
                out.append("## " + head)
            continue
        text = re.sub(r"^#+\s*", "", tidy(line))  # a paragraph must not look like a title or heading line
        if keep_paragraph(text, rules):
            out.append(text)
    # a heading must be followed by prose before the next heading or the end
    lines = [ln for i, ln in enumerate(out)
             if not (ln.startswith("## ") and (i + 1 == len(out) or out[i + 1].startswith("## ")))]
    words = sum(len(ln.split()) for ln in lines if not ln.startswith("## "))
    title = tidy(doc.title)
    if words < rules.min_doc_words or not title:
        return None
    return Doc(title, lines, doc.origin)


# --------------------------------------------------------------------------------------------
# Reading git objects


class GitRepo:
    def __init__(self, git_dir: Path):
        self.git_dir = git_dir
        self._batch: subprocess.Popen | None = None

    @classmethod
    def find(cls, mirrors: Path, repo: str) -> GitRepo:
        base = mirrors / repo.replace("/", "+")
        for cand in (base / "repo", base / ".git", base):
            if cand.is_dir() and (cand / "objects").is_dir():
                return cls(cand)
        raise SystemExit(f"no git repository for {repo} under {mirrors} (looked for {base}/repo, {base}/.git, {base})")

    def git(self, *args: str) -> str:
        return subprocess.run(["git", f"--git-dir={self.git_dir}", *args], check=True, capture_output=True,
                              text=True).stdout

    def has_commit(self, commit: str) -> bool:
        return subprocess.run(["git", f"--git-dir={self.git_dir}", "cat-file", "-e", f"{commit}^{{commit}}"],
                              capture_output=True).returncode == 0

    def ls(self, commit: str, prefix: str = "") -> list[str]:
        args = ["ls-tree", "-r", "--name-only", commit]
        if prefix:
            args += ["--", prefix]
        return sorted(self.git(*args).splitlines())

    def read(self, commit: str, path: str) -> bytes:
        if self._batch is None:
            self._batch = subprocess.Popen(["git", f"--git-dir={self.git_dir}", "cat-file", "--batch"],
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self._batch.stdin and self._batch.stdout
        self._batch.stdin.write(f"{commit}:{path}\n".encode())
        self._batch.stdin.flush()
        header = self._batch.stdout.readline().decode().split()
        if len(header) < 3 or header[1] != "blob":
            raise FileNotFoundError(f"{self.git_dir}: {commit}:{path}: {' '.join(header)}")
        data = self._batch.stdout.read(int(header[2]))
        self._batch.stdout.read(1)
        return data

    def close(self) -> None:
        if self._batch is not None:
            assert self._batch.stdin
            self._batch.stdin.close()
            self._batch.wait()
            self._batch = None


# --------------------------------------------------------------------------------------------
# XML helpers


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class Bad(Exception):
    """Raised inside a paragraph walk when the paragraph should be dropped (a gap would be left)."""


def walk_text(el: ET.Element, drop: set[str], bad: set[str], special: dict[str, Callable] | None = None) -> str:
    """Text of an element: children whose tag is in `drop` are removed (their tail kept); a child whose
    tag is in `bad` makes the whole paragraph unusable."""
    parts = [el.text or ""]
    for child in el:
        tag = local(child.tag)
        if tag in bad:
            raise Bad(tag)
        if special and tag in special:
            parts.append(special[tag](child))
        elif tag not in drop:
            parts.append(walk_text(child, drop, bad, special))
        parts.append(child.tail or "")
    return "".join(parts)


# --------------------------------------------------------------------------------------------
# Source readers. Each yields Doc objects in a fixed order.

# ---- ELTeC-eng (fiction)

TEI = "{http://www.tei-c.org/ns/1.0}"


def read_eltec(repo: GitRepo, commit: str, paths: list[str], excluded: list[str]) -> Iterator[Doc]:
    for path in paths:
        try:
            data = repo.read(commit, path)
        except FileNotFoundError:
            excluded.append(f"{path}: blob not in the snapshot (file of 4 MiB or more)")
            continue
        root = ET.fromstring(data)
        title = root.findtext(f"{TEI}teiHeader/{TEI}fileDesc/{TEI}titleStmt/{TEI}title") or path
        title = re.sub(r"\s*[:;,]?\s*ELTeC\s+edition.*$", "", norm(title), flags=re.I)
        author = norm(root.findtext(f"{TEI}teiHeader/{TEI}fileDesc/{TEI}titleStmt/{TEI}author") or "")
        if re.search(r"\bAusten\b", author):
            excluded.append(f"{path}: author {author} (kept out)")
            continue
        body = root.find(f"{TEI}text/{TEI}body")
        if body is None:
            continue
        lines: list[str] = []

        def visit(el: ET.Element, lines: list[str] = lines) -> None:
            for child in el:
                tag = local(child.tag)
                if tag == "head":
                    lines.append("## " + norm(walk_text(child, {"note", "pb", "lb", "milestone"}, set())))
                elif tag == "p":
                    lines.append(walk_text(child, {"note", "pb", "milestone", "fw"}, set()).replace("\n", " "))
                elif tag in ("div", "quote", "floatingText", "body", "said"):
                    visit(child)
                # <l>/<lg> verse, <note>, <trailer>, <gap>, <pb> are left out

        visit(body)
        name = re.sub(r"\[.*?\]|\(.*?\)", "", author).strip(" ,")
        if "," in name:  # 'Last, First' -> 'First Last'
            last, first = name.split(",", 1)
            name = f"{first.strip()} {last.strip()}"
        yield Doc(f"{title} ({name})" if name else title, lines, path)


# ---- Miller Center presidential speeches (kfogel/presidential-speeches)

MONTH_SESSIONS = re.compile(r"joint-session")
SOTU = re.compile(r"state-union|state-of-the-union|annual-message|annual-address")
SPEAKER = re.compile(r"^(?:THE PRESIDENT|PRESIDENT [A-Z .'-]+|MR\. [A-Z .'-]+|MRS\. [A-Z .'-]+|MS\. [A-Z .'-]+"
                     r"|[A-Z][A-Z .'-]{2,40})\s*:\s+")
STAGE = re.compile(r"\s*[\(\[](?:applause|laughter|cheers|inaudible|crosstalk|booing|music)[^\)\]]{0,40}[\)\]]", re.I)


def speech_excluded(name: str) -> str | None:
    slug = name[len("data/YYYY-MM-DD-"):-len(".txt")]
    month = int(name[len("data/YYYY-"):len("data/YYYY-MM")])
    if SOTU.search(slug):
        return "State of the Union / annual message (kept out)"
    if MONTH_SESSIONS.search(slug) and month in (1, 2):
        return ("address to a joint session in January/February (counted as a State of the Union in some "
                "collections; kept out)")
    if "debate" in slug:
        return "debate (moderators' and other candidates' words are not US government works)"
    return None


def read_speeches(repo: GitRepo, commit: str, paths: list[str], excluded: list[str]) -> Iterator[Doc]:
    for path in paths:
        why = speech_excluded(path)
        if why:
            excluded.append(f"{path}: {why}")
            continue
        text = repo.read(commit, path).decode("utf-8", errors="replace")
        lines = text.splitlines()
        president = ""
        if lines and lines[0].startswith("President:"):
            president = lines[0].split(":", 1)[1].strip()
            lines = lines[1:]
        date = path[5:15]
        slug = path[16:-4].replace("-", " ")
        title = f"{slug[:1].upper()}{slug[1:]} ({president}, {date})"
        paras = []
        for line in lines:
            line = STAGE.sub("", line)
            line = SPEAKER.sub("", line.strip())
            line = re.sub(r"^Q[.:]\s+", "", line)
            if line:
                paras.append(line)
        yield Doc(title, paras, f"https://millercenter.org/the-presidency/presidential-speeches ({path})")


# ---- Stack Exchange site archive (collapsed-stacks/*)

MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
HTML_A = re.compile(r"<a\b[^>]*>(.*?)</a>", re.I | re.S)
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def strip_markdown(text: str) -> str:
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = HTML_A.sub(r"\1", text)
    text = re.sub(r"<br\s*/?>", " ", text, flags=re.I)
    text = HTML_TAG.sub("", text)
    text = MD_LINK.sub(r"\1", text)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"(?<=[\w.,;:)\]])\\[*†‡§¶]+", "", text)  # footnote markers right after a word
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*\\])\*(?!\s)([^*]+?)(?<![\s\\])\*(?![\w*])", r"\1", text)
    # _emphasis_; the converter that made some sources dropped the space after a closing underscore
    text = re.sub(r"(?<![\w_\\])_(?!\s)([^_]+?)(?<![\s\\])_(?=[^\W_])", r"\1 ", text)
    text = re.sub(r"(?<![\w_\\])_(?!\s)([^_]+?)(?<![\s\\])_(?![\w_])", r"\1", text)
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|>~])", r"\1", text)  # markdown backslash escapes
    return html.unescape(text)


def md_paragraphs(lines: Iterable[str]) -> Iterator[str]:
    """Markdown body lines to paragraphs: fenced and indented code dropped, list and quote markers
    stripped, hard-wrapped lines joined."""
    buf: list[str] = []
    fence = False
    for raw in lines:
        line = raw.rstrip("\n")
        if line.strip().startswith("```"):
            fence = not fence
            if buf:
                yield " ".join(buf)
                buf = []
            continue
        if fence or line.startswith("    ") or line.startswith("\t"):
            if buf:
                yield " ".join(buf)
                buf = []
            continue
        s = line.strip()
        if not s or s.startswith("|") or re.fullmatch(r"[-=*_ ]{3,}", s):
            if buf:
                yield " ".join(buf)
                buf = []
            continue
        s = re.sub(r"^(?:>\s*)+", "", s)
        item = re.match(r"^(?:[-*+]|\d+[.)])\s+", s)
        if item:  # a list item is a paragraph of its own
            if buf:
                yield " ".join(buf)
                buf = []
            s = s[item.end():]
        buf.append(s)
    if buf:
        yield " ".join(buf)


def read_stackexchange(repo: GitRepo, commit: str, paths: list[str], excluded: list[str], site: str) -> Iterator[Doc]:
    for path in paths:
        if not re.fullmatch(r"questions/\d+/[^/]+\.md", path):
            continue
        text = repo.read(commit, path).decode("utf-8", errors="replace")
        lines = text.splitlines()
        if not lines or not lines[0].startswith("## "):
            continue
        title = strip_markdown(lines[0][3:])
        body: list[str] = []
        for line in lines[1:]:
            if re.match(r"^## (?:Answer \d+|No Answers)\s*$", line):
                body.append("")  # a post boundary, no heading
                continue
            if re.match(r"^- (?:posted by|tagged|score|edited by|last edited)\b", line):
                continue
            if line.startswith("All content is licensed under"):
                continue
            line = re.sub(r"^#{1,6}\s+", "", line)  # headings inside posts become plain lines
            body.append(line)
        paras = [strip_markdown(p) for p in md_paragraphs(body)]
        qid = path.split("/")[1]
        yield Doc(title, paras, f"{site}/questions/{qid}")


# ---- GUM (amir-zeldes/gum), CoNLL-U with '# text =' and '# newpar_block'


def _gum_flush(cur: list[str], kind: str, lines: list[str]) -> None:
    """Append the sentences collected in `cur` as one paragraph (or heading) line, and empty `cur`."""
    if cur:
        lines.append(("## " if kind == "head" else "") + " ".join(cur))
        cur.clear()


def read_gum(repo: GitRepo, commit: str, paths: list[str], excluded: list[str]) -> Iterator[Doc]:
    for path in paths:
        text = repo.read(commit, path).decode("utf-8")
        meta: dict[str, str] = {}
        lines: list[str] = []
        cur: list[str] = []
        kind = "p"

        for line in text.splitlines():
            if line.startswith("# meta::"):
                k, _, v = line[8:].partition(" = ")
                meta[k] = v
            elif line.startswith("# newpar_block") or line == "# newpar":
                if line.startswith("# newpar_block"):
                    _gum_flush(cur, kind, lines)
                    block = line.split("=", 1)[1].split("|")[-1].strip()
                    kind = block.split()[0] if block else "p"
            elif line.startswith("# text = "):
                cur.append(line[9:])
        _gum_flush(cur, kind, lines)
        lines = [ln for ln in lines if not re.search(r"\bImage: [^.]*\.$", ln)]  # photo captions
        title = meta.get("title", path)
        if lines and lines[0].startswith("## ") and norm(lines[0][3:]) == norm(title):
            lines = lines[1:]
        yield Doc(title, lines, meta.get("sourceURL", path))


# ---- CDC journals (cmheilig/harvest-cdc-journals): MMWR supplements (markdown JSON), PCD 2024 (HTML)

CDC_STOP = re.compile(r"^(?:references?|acknowledg(?:e)?ments?|disclaimer|conflicts? of interest|author information|"
                      r"corresponding author|abbreviations?|terms and abbreviations.*|suggested citation.*|"
                      r"appendix.*|tables?|figures?|notes?|footnotes?|additional resources|"
                      r"members of .*|.*work ?group.*|.*committee members.*)$", re.I)
CDC_CITATION = re.compile(r"\s*\((?:_?\d+(?:[,–-]\s*\d+)*_?)\)")


def read_mmwr_md(repo: GitRepo, commit: str, paths: list[str], excluded: list[str]) -> Iterator[Doc]:
    for zpath in paths:
        blob = repo.read(commit, zpath)
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            (name,) = [n for n in zf.namelist() if n.endswith(".json")]
            articles = json.loads(zf.read(name))
        for url in sorted(articles):
            md = articles[url]
            lines = md.splitlines()
            start = next((i for i, ln in enumerate(lines) if re.match(r"^# \S", ln)), None)
            if start is None:
                continue
            title = re.sub(r"\s*#+\s*$", "", lines[start][2:])
            title = re.sub(r"^Volume \d+.*?:\s*", "", title)
            if re.match(r"(?i)appendix\b", title):
                excluded.append(f"{url}: an appendix page")
                continue
            out: list[str] = []
            for line in lines[start + 1:]:
                s = line.strip()
                h = re.match(r"^(#{2,6})\s+(.*?)\s*#*\s*$", s)
                if h:
                    head = strip_markdown(h.group(2)).strip(" :")
                    if CDC_STOP.match(head):
                        break
                    out.append("## " + head)
                    continue
                if re.match(r"^_*Disclaimer_*", s) or s.startswith("Return to top") or s.startswith("**Disclaimer"):
                    break
                if not s or s.startswith("|") or s.startswith("!["):
                    out.append("")
                    continue
                if s.startswith("Persons using assistive technology") or re.match(r"^_*Corresponding author", s):
                    continue
                s = re.sub(r"^(?:[-*+]|\d+[.)])\s+", "", s)
                s = CDC_CITATION.sub("", s)
                s = s.replace("_._", ".").replace("_,_", ",")
                out.append(strip_markdown(s))
            paras: list[str] = []
            buf: list[str] = []
            for ln in out:  # join wrapped lines of one paragraph
                if ln.startswith("## ") or not ln:
                    if buf:
                        paras.append(" ".join(buf))
                        buf = []
                    if ln:
                        paras.append(ln)
                else:
                    buf.append(ln)
            if buf:
                paras.append(" ".join(buf))
            yield Doc(strip_markdown(title), paras, url)


class _Blocks(HTMLParser):
    """Collects (tag, text) for h1-h4 and p elements, in order."""

    KEEP = {"h1", "h2", "h3", "h4", "p"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str, str]] = []
        self._tag: str | None = None
        self._cls = ""
        self._buf: list[str] = []
        self._skip = 0  # inside script/style/sup

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "sup", "button", "svg"):
            self._skip += 1
        elif tag in self.KEEP:
            self._tag, self._cls, self._buf = tag, dict(attrs).get("class") or "", []
        elif tag == "br" and self._tag:
            self._buf.append(" ")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "sup", "button", "svg"):
            self._skip = max(0, self._skip - 1)
        elif tag == self._tag:
            self.blocks.append((tag, self._cls, norm("".join(self._buf))))
            self._tag = None

    def handle_data(self, data):
        if self._tag and not self._skip:
            self._buf.append(data)


def read_pcd_html(repo: GitRepo, commit: str, paths: list[str], excluded: list[str]) -> Iterator[Doc]:
    for zpath in paths:
        blob = repo.read(commit, zpath)
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            names = sorted(n for n in zf.namelist() if re.search(r"/\d\d_\d{4}\.htm$", n))
            for name in names:
                parser = _Blocks()
                parser.feed(zf.read(name).decode("utf-8", errors="replace"))
                blocks = parser.blocks
                h1 = next((i for i, b in enumerate(blocks) if b[0] == "h1"), None)
                if h1 is None:
                    continue
                title = blocks[h1][2]
                paras: list[str] = []
                started = False
                for tag, cls, text in blocks[h1 + 1:]:
                    if tag in ("h2", "h3", "h4"):
                        if CDC_STOP.match(text.strip(" :")):
                            if started:
                                break
                            continue
                        started = True
                        paras.append("## " + text)
                    elif started and tag == "p" and "smallgrey" not in cls:
                        paras.append(CDC_CITATION.sub("", text))
                yield Doc(title, paras, f"https://www.cdc.gov/pcd/issues/2024/{name.rsplit('/', 1)[-1]}")


# ---- OpenStax CNXML (openstax/osbooks-*)

CNX = "{http://cnx.rice.edu/cnxml}"
COL = "{http://cnx.rice.edu/collxml}"
MD = "{http://cnx.rice.edu/mdml}"
CNX_DROP = {"footnote", "media", "image", "newline", "space", "cite", "label"}
CNX_BAD = {"math", "equation", "figure", "table", "exercise"}
CNX_SKIP_BLOCKS = {"figure", "table", "exercise", "equation", "code", "preformat", "glossary", "media",
                   "footnote", "problem", "solution", "commentary", "metadata", "title"}
CNX_SKIP_CLASS = re.compile(r"learning-objectives|key-terms|review|exercise|questions|further-exploration|"
                            r"group-activit|figuring|check-your-understanding|try-it|link-to-learning|"
                            r"interactive|references|works-cited|self-check|practice|checkpoint|glossary", re.I)
CNX_SKIP_TITLE = re.compile(r"^(?:learning objectives|key terms|summary|for further exploration|collaborative group "
                            r"activities|exercises|review questions|thought questions|figuring for yourself|"
                            r"check your understanding|works cited|references|glossary|try it|concepts in practice)$",
                            re.I)


def cnx_para(el: ET.Element) -> str | None:
    def link(child: ET.Element) -> str:
        txt = walk_text(child, CNX_DROP, CNX_BAD)
        if not txt.strip():
            raise Bad("empty link")
        return txt

    def code(child: ET.Element) -> str:
        if child.get("display") == "block":
            raise Bad("code block")
        return walk_text(child, CNX_DROP, CNX_BAD)

    try:
        return walk_text(el, CNX_DROP, CNX_BAD, {"link": link, "code": code})
    except Bad:
        return None


def cnx_module(root: ET.Element) -> list[str]:
    lines: list[str] = []

    def visit(el: ET.Element) -> None:
        for child in el:
            tag = local(child.tag)
            cls = child.get("class") or ""
            if tag in CNX_SKIP_BLOCKS or CNX_SKIP_CLASS.search(cls):
                continue
            if tag in ("section", "note"):
                t = norm(child.findtext(f"{CNX}title") or "")
                if t and CNX_SKIP_TITLE.match(t):
                    continue
                if t and tag == "section":
                    lines.append("## " + t)
                visit(child)
            elif tag == "para":
                if child.find(f"{CNX}list") is not None:  # a paragraph wrapping a list: intro text only
                    txt = child.text or ""
                    lines.append(txt)
                    visit(child)
                    continue
                txt = cnx_para(child)
                if txt is not None:
                    lines.append(txt)
            elif tag == "list":
                for item in child.findall(f"{CNX}item"):
                    txt = cnx_para(item)
                    if txt is not None:
                        lines.append(txt)
            elif tag in ("content", "div", "quote"):
                visit(child)

    content = root.find(f"{CNX}content")
    if content is not None:
        visit(content)
    return lines


def read_openstax(repo: GitRepo, commit: str, paths: list[str], excluded: list[str]) -> Iterator[Doc]:
    (colpath,) = [p for p in paths if p.endswith(".collection.xml")]
    col = ET.fromstring(repo.read(commit, colpath))
    book = norm(col.findtext(f"{COL}metadata/{MD}title") or col.findtext(f"{{*}}metadata/{MD}title") or "")

    def chapters(el: ET.Element, chapter: str | None) -> Iterator[tuple[str | None, str]]:
        for child in el:
            tag = local(child.tag)
            if tag == "module":
                yield chapter, child.get("document") or ""
            elif tag == "subcollection":
                t = norm(child.findtext(f"{MD}title") or "")
                yield from chapters(child.find(f"{COL}content"), t or chapter)
            elif tag == "content":
                yield from chapters(child, chapter)

    content = col.find(f"{COL}content")
    for chapter, mid in chapters(content, None):
        if chapter is None:  # preface and appendices sit outside the chapters
            excluded.append(f"modules/{mid}: front or back matter")
            continue
        path = f"modules/{mid}/index.cnxml"
        root = ET.fromstring(repo.read(commit, path))
        mtitle = norm(root.findtext(f"{CNX}title") or mid)
        if CNX_SKIP_TITLE.match(mtitle):
            excluded.append(f"{path}: {mtitle} (exercise or list page)")
            continue
        title = f"{book}: {chapter}" if mtitle.lower() == "introduction" else f"{book}: {chapter}: {mtitle}"
        yield Doc(title, cnx_module(root), path)


# ---- GNOME help (Mallard)

MAL = "{http://projectmallard.org/1.0/}"
MAL_SKIP = {"info", "links", "comment", "media", "table", "code", "screen", "synopsis", "figure", "title", "desc",
            "when", "tree", "terms"}


def mal_para(el: ET.Element) -> str | None:
    def keyseq(child: ET.Element) -> str:
        return "+".join(norm(walk_text(k, set(), set())) for k in child if local(k.tag) == "key") or \
            walk_text(child, set(), set())

    def link(child: ET.Element) -> str:
        txt = walk_text(child, {"media"}, set())
        if not txt.strip():
            raise Bad("empty link")
        return txt

    try:
        return walk_text(el, {"media", "comment", "when"}, set(), {"keyseq": keyseq, "link": link})
    except Bad:
        return None


def read_mallard(repo: GitRepo, commit: str, paths: list[str], excluded: list[str],
                 guide: dict[str, str]) -> Iterator[Doc]:
    for path in paths:
        if not path.endswith(".page") or "/templates/" in path:
            continue
        root = ET.fromstring(repo.read(commit, path))
        if root.get("type") == "guide":
            excluded.append(f"{path}: guide page (a list of links)")
            continue
        tel = root.find(f"{MAL}title")
        title = norm(walk_text(tel, {"media"}, set())) if tel is not None else ""
        lines: list[str] = []

        def visit(el: ET.Element, lines: list[str] = lines) -> None:
            for child in el:
                tag = local(child.tag)
                if tag in MAL_SKIP:
                    continue
                if tag == "section":
                    t = child.find(f"{MAL}title")
                    if t is not None:
                        lines.append("## " + norm(walk_text(t, {"media"}, set())))
                    visit(child)
                elif tag == "p":
                    txt = mal_para(child)
                    if txt is not None:
                        lines.append(txt)
                else:  # steps, item, list, note, choose, if, else, div, terms...
                    visit(child)

        visit(root)
        book = next((v for k, v in guide.items() if path.startswith(k)), "")
        yield Doc(f"{book}: {title}" if book else title, lines, path)


# --------------------------------------------------------------------------------------------
# The sources


@dataclass
class Source:
    register: str
    name: str
    repo: str
    commit: str
    paths: list[str]  # path prefixes or exact paths inside the commit
    licence: str
    evidence: str
    reader: Callable
    rules: Rules = field(default_factory=Rules)
    path_filter: str = ""  # a regex the listed paths must match
    note: str = ""
    kwargs: dict = field(default_factory=dict)


FICTION = Rules(min_words=3)
FORUM = Rules(min_words=6, end_punct=False, min_doc_words=40)

GUM_COMMIT = "72ce5ac14978a324c2fd18d49484e65292cbe316"
GUM_EVIDENCE = ("LICENSE.txt of amir-zeldes/gum at this commit: 'Wikinews/interviews: CC BY 2.5 (Source: "
                "https://en.wikinews.org/wiki/Wikinews:Copyright)'; 'Academic: Multiple sources, all CC BY 4.0'; "
                "'WikiVoyage: CC BY-SA 3.0'; annotations CC BY 4.0. Each document's '# meta::sourceURL' names its "
                "page.")

SOURCES: list[Source] = [
    Source("fiction", "ELTeC-eng: English novels 1840-1920 (European Literary Text Collection, level 1 TEI)",
           "COST-ELTeC/ELTeC-eng", "3db3b6738a836f0e1b276b6c9703e42f4297f978", ["level1/"],
           "Public domain texts; TEI markup CC BY 4.0",
           "README.md, section Licence: 'All texts included in this collection are in the public domain. The textual "
           "markup is provided with a Creative Commons Attribution International 4.0 licence'; every TEI header has "
           "<licence target=\"https://creativecommons.org/licenses/by/4.0/\"/>.",
           read_eltec, FICTION, path_filter=r"level1/ENG\d+_\w+\.xml"),
    Source("speeches", "US presidential speeches (Miller Center transcripts), State of the Union addresses, "
           "annual messages and debates removed",
           "kfogel/presidential-speeches", "a4c8b38eeba49703f515a701db03e60417e042e6", ["data/"],
           "Public domain (works of the US Government, 17 U.S.C. 105)",
           "LICENSE.md at this commit: 'The presidential speeches themselves are in the public domain, as per 17 U.S. "
           "Code § 105.' (The repository's code is AGPL-3.0; only the texts are used.) The texts were taken from "
           "millercenter.org pages (README.md). Later commits deleted the data; this is the last commit with it.",
           read_speeches, path_filter=r"data/\d{4}-\d\d-\d\d-[\w-]+\.txt"),
    Source("news", "Wikinews news articles, from the GUM corpus", "amir-zeldes/gum", GUM_COMMIT, ["dep/"],
           "CC BY 2.5 (Wikinews)", GUM_EVIDENCE, read_gum, path_filter=r"dep/GUM_news_\w+\.conllu"),
    Source("news", "Wikinews interviews, from the GUM corpus", "amir-zeldes/gum", GUM_COMMIT, ["dep/"],
           "CC BY 2.5 (Wikinews)", GUM_EVIDENCE, read_gum, path_filter=r"dep/GUM_interview_\w+\.conllu"),
    Source("forum", "Answers on Startups (Stack Exchange Area 51 site, 2009-2013), questions with their answers",
           "collapsed-stacks/onstartups", "240fea96a6a543e3e9cf557dcfe08bb74f829622", ["questions/"],
           "CC BY-SA 3.0 (Stack Exchange user contributions; attribution to the site and authors required)",
           "README.md: 'All content is licensed under the CC BY-SA 3.0 license'; data/main/license.txt (the Stack "
           "Exchange data dump licence, cc-wiki = CC BY-SA 3.0, with the attribution requirements). manifest.tsv.gz "
           "keeps each question's URL; the author names are in the source files.",
           read_stackexchange, FORUM, path_filter=r"questions/\d+/[^/]+\.md",
           kwargs={"site": "https://onstartups.stackexchange.com"}),
    Source("science", "CDC MMWR Supplements (Morbidity and Mortality Weekly Report, supplement series), 1985-2024",
           "cmheilig/harvest-cdc-journals", "4e8fe935a218d7f2e8ed0aab9f91dc161f74c9a1",
           ["json-outputs/md/mmsu_art_en_md_json.zip"],
           "Public domain (US Government works, CDC); the collection itself CC0 1.0",
           "README.md: 'Retrieve, organize, and share the contents and metadata from CDC's 3 online, public-domain "
           "series (MMWR, EID, PCD)'; LICENSE: CC0 1.0 Universal. MMWR is published by CDC (17 U.S.C. 105).",
           read_mmwr_md),
    Source("science", "CDC Preventing Chronic Disease (PCD), 2024 research articles",
           "cmheilig/harvest-cdc-journals", "4e8fe935a218d7f2e8ed0aab9f91dc161f74c9a1",
           ["html-mirrors/pcd_2024.zip"],
           "Public domain (CDC journal); the collection itself CC0 1.0",
           "README.md: 'CDC's 3 online, public-domain series (MMWR, EID, PCD)'; LICENSE: CC0 1.0 Universal. "
           "Many PCD authors are not federal employees: the public-domain status rests on the journal's policy as "
           "the collection states it (see README.md of this recipe).",
           read_pcd_html),
    Source("science", "GUM academic writing (open-access articles and abstracts)", "amir-zeldes/gum", GUM_COMMIT,
           ["dep/"], "CC BY 4.0", GUM_EVIDENCE, read_gum, path_filter=r"dep/GUM_academic_\w+\.conllu"),
    Source("science", "OpenStax Astronomy 2e (textbook chapters)", "openstax/osbooks-astronomy",
           "63157f370b09c06a4cc12832384aaaf4de1ced3b", ["collections/", "modules/"], "CC BY 4.0",
           "LICENSE at this commit: 'Attribution 4.0 International'; README.md: 'Astronomy 2e is available under the "
           "Creative Commons Attribution License'; collections/astronomy-2e.collection.xml <md:license "
           "url=\"http://creativecommons.org/licenses/by/4.0/\">. The next commit (4aedbad, 2026-03-12) relicensed "
           "later versions CC BY-NC-SA 4.0; this commit's text stays under CC BY 4.0.",
           read_openstax),
    Source("howto", "OpenStax Introduction to Python Programming (textbook)",
           "openstax/osbooks-introduction-python-programming", "d6d069bb24677a375aa28a574bd506d4b893cfdf",
           ["collections/", "modules/"], "CC BY 4.0",
           "LICENSE: 'Attribution 4.0 International'; README.md: 'available under the Creative Commons Attribution "
           "License' (the code runner it mentions is not part of the text); collection.xml <md:license "
           "url=\"http://creativecommons.org/licenses/by/4.0/\"/>.",
           read_openstax),
    Source("howto", "OpenStax Writing Guide with Handbook", "openstax/osbooks-writing-guide",
           "a6c95528390e3a2936f5bf87c49ac1a4995a0a6e", ["collections/", "modules/"], "CC BY 4.0",
           "LICENSE at this commit: 'Attribution 4.0 International'; README.md: 'available under the Creative Commons "
           "Attribution License'; collection.xml <md:license url=\"http://creativecommons.org/licenses/by/4.0/\">. "
           "The next commit (59c6457, 2026-03-23) relicensed later versions CC BY-NC-SA 4.0; this commit's text "
           "stays under CC BY 4.0.",
           read_openstax),
    Source("howto", "GNOME Help and GNOME System Administration Guide (Mallard pages)", "GNOME/gnome-user-docs",
           "46747c67c12109de9234644bcbcb89d1ff5e7d37", ["gnome-help/C/", "system-admin-guide/C/"],
           "CC BY-SA 3.0",
           "gnome-help/C/legal.xml (included by every page): 'This work is licensed under a Creative Commons "
           "Attribution-ShareAlike 3.0 Unported License'; COPYING states CC BY 3.0 for the module. CC BY-SA 3.0, "
           "the stricter, is applied.",
           read_mallard, path_filter=r".*/C/[^/]+\.page",
           kwargs={"guide": {"gnome-help/": "GNOME Help", "system-admin-guide/": "GNOME System Administration Guide"}}),
    Source("howto", "Wikivoyage travel guides, from the GUM corpus", "amir-zeldes/gum", GUM_COMMIT, ["dep/"],
           "CC BY-SA 3.0 (Wikivoyage)", GUM_EVIDENCE, read_gum, path_filter=r"dep/GUM_voyage_\w+\.conllu"),
]

REGISTERS = ["fiction", "news", "speeches", "forum", "science", "howto"]
BOILERPLATE_REPEATS = 25

# Kept-out references: a built document sharing more than KEPT_OUT_SHARE of its word 8-grams with one
# of them is dropped. They are not training sources.
KEPT_OUT_SHARE = 0.02
KEPT_OUT_GIT = {
    "sotu": ("stdlib-js/datasets-sotu", "3fe128bad40ad366f8696b7ca25f825ca36869ef", r"data/.*\.txt",
             "US State of the Union addresses 1790-2016 (one text file per address)"),
}


# --------------------------------------------------------------------------------------------
# Build


def heldout(register: str, title: str, per_mille: int) -> bool:
    h = hashlib.sha1(f"{register}\t{title}".encode()).hexdigest()
    return int(h[:8], 16) % 1000 < per_mille


def doc_words(doc: Doc) -> int:
    return sum(len(ln.split()) for ln in doc.lines if not ln.startswith("## "))


def write_doc(fh, doc: Doc) -> None:
    fh.write(f"# {doc.title}\n")
    for line in doc.lines:
        fh.write(line + "\n")
    fh.write("\n")


def open_gz(path: Path):
    raw = open(path, "wb")
    gz = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
    return io.TextIOWrapper(gz, encoding="utf-8", newline="\n"), gz, raw


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"),
                    help="folder with one git repository per source, named owner+name (default /work/.mirror)")
    ap.add_argument("--out", type=Path, default=Path(".cache/registers"), help="output folder")
    ap.add_argument("--heldout-per-mille", type=int, default=50, help="held-out share in 1/1000 (default 50 = 5%%)")
    ap.add_argument("--registers", default=",".join(REGISTERS), help="comma-separated registers to build")
    ap.add_argument("--wikitext", default="../shared/corpus/test/wikitext2-test-detok.txt.gz",
                    help="WikiText-2 test text (kept-out reference; skipped with a warning if absent)")
    args = ap.parse_args(argv)

    wanted = [r for r in args.registers.split(",") if r]
    for r in wanted:
        if r not in REGISTERS:
            ap.error(f"unknown register {r}; known: {', '.join(REGISTERS)}")
    args.out.mkdir(parents=True, exist_ok=True)

    repos: dict[str, GitRepo] = {}
    refs: dict[str, set[int]] = {}
    ref_report = []
    for name, (rrepo, rcommit, rregex, rdesc) in KEPT_OUT_GIT.items():
        gr = GitRepo.find(args.mirrors, rrepo)
        if not gr.has_commit(rcommit):
            raise SystemExit(f"{rrepo}: commit {rcommit} is not in {gr.git_dir}")
        spec = f"git:{gr.git_dir}:{rcommit}:{rregex}"
        refs[name] = set().union(*(check_kept_out.grams(check_kept_out.words(t))
                                   for t in check_kept_out.read_spec(spec)))
        ref_report.append({"name": name, "what": rdesc, "repository": f"https://github.com/{rrepo}",
                           "commit": rcommit, "paths": rregex})
    if Path(args.wikitext).is_file():
        refs["wikitext2-test"] = set().union(*(check_kept_out.grams(check_kept_out.words(t))
                                               for t in check_kept_out.read_spec(args.wikitext)))
        ref_report.append({"name": "wikitext2-test", "what": "WikiText-2 test split, detokenized",
                           "path": args.wikitext})
    else:
        print(f"warning: {args.wikitext} not found; WikiText-2 overlap is not checked", file=sys.stderr)
    report = []
    manifest_rows = []
    seen_titles: dict[str, set[str]] = {r: set() for r in wanted}
    for register in wanted:
        files = {split: open_gz(args.out / f"{register}.{split}.txt.gz") for split in ("train", "heldout")}
        for src in [s for s in SOURCES if s.register == register]:
            repo = repos.get(src.repo) or repos.setdefault(src.repo, GitRepo.find(args.mirrors, src.repo))
            if not repo.has_commit(src.commit):
                raise SystemExit(f"{src.repo}: commit {src.commit} is not in {repo.git_dir}")
            paths: list[str] = []
            for p in src.paths:
                paths += repo.ls(src.commit, p)
            paths = sorted(p for p in set(paths) if not src.path_filter or re.fullmatch(src.path_filter, p))
            excluded: list[str] = []
            stats = {"train": [0, 0], "heldout": [0, 0]}
            dropped = 0
            duplicates = 0
            docs: list[Doc] = []
            for raw_doc in src.reader(repo, src.commit, paths, excluded, **src.kwargs):
                d = finish(raw_doc, src.rules)
                if d is None:
                    dropped += 1
                else:
                    docs.append(d)
            # boilerplate: a paragraph repeated in BOILERPLATE_REPEATS or more documents of a source goes
            # (signatures, disclaimers, standard notes)
            counts: dict[str, int] = {}
            for d in docs:
                for line in set(d.lines):
                    counts[line] = counts.get(line, 0) + 1
            boiler = {ln for ln, n in counts.items() if n >= BOILERPLATE_REPEATS and not ln.startswith("## ")}
            for doc in docs:
                if boiler:
                    doc = finish(Doc(doc.title, [ln for ln in doc.lines if ln not in boiler], doc.origin), src.rules)
                    if doc is None:
                        dropped += 1
                        continue
                clean = doc
                dg = check_kept_out.grams(check_kept_out.words(" ".join(clean.lines)))
                shares = [(n, len(dg & g) / len(dg)) for n, g in refs.items()] if dg else []
                over = [(n, v) for n, v in shares if v > KEPT_OUT_SHARE]
                if over:
                    excluded.append(f"{clean.origin}: {clean.title}: shares " +
                                    ", ".join(f"{v:.1%} of its 8-grams with {n}" for n, v in over) + " (kept out)")
                    continue
                if clean.title in seen_titles[register]:  # same title twice: keep the first only
                    duplicates += 1
                    continue
                seen_titles[register].add(clean.title)
                split = "heldout" if heldout(register, clean.title, args.heldout_per_mille) else "train"
                write_doc(files[split][0], clean)
                w = doc_words(clean)
                stats[split][0] += 1
                stats[split][1] += w
                manifest_rows.append((register, split, src.repo, clean.title, clean.origin, w))
            print(f"{register:9s} {src.name[:60]:60s} docs {stats['train'][0]:6d}+{stats['heldout'][0]:<5d} "
                  f"words {stats['train'][1]:10,d}+{stats['heldout'][1]:,d}  (dropped {dropped}, excluded "
                  f"{len(excluded)}, duplicate titles {duplicates})", file=sys.stderr)
            report.append({
                "register": register, "name": src.name, "repository": f"https://github.com/{src.repo}",
                "commit": src.commit,
                "paths": (src.paths if src.path_filter == ""
                          else [f"{p} (matching {src.path_filter})" for p in src.paths]),
                "licence": src.licence, "licence_evidence": src.evidence,
                "documents": {"train": stats["train"][0], "heldout": stats["heldout"][0]},
                "words": {"train": stats["train"][1], "heldout": stats["heldout"][1]},
                "documents_dropped_short": dropped, "duplicate_titles_dropped": duplicates,
                "boilerplate_paragraphs_removed": sorted(boiler)[:50],
                "excluded": excluded,
            })
        for fh, gz, raw in files.values():
            fh.close()
            gz.close()
            raw.close()

    for repo in repos.values():
        repo.close()
    totals = {}
    for r in wanted:
        rows = [x for x in report if x["register"] == r]
        totals[r] = {s: {"documents": sum(x["documents"][s] for x in rows), "words": sum(x["words"][s] for x in rows)}
                     for s in ("train", "heldout")}
    meta = {
        "format": "corpus format of shared/corpus/README.md: '# Title' per document, '## Heading', one paragraph a "
                  "line, a blank line between documents; words = whitespace tokens in paragraph lines",
        "heldout": f"documents with int(sha1(register + TAB + title)[:8], 16) % 1000 < {args.heldout_per_mille}",
        "registers": totals,
        "kept_out_references": ref_report,
        "kept_out_rule": f"a document sharing more than {KEPT_OUT_SHARE:.0%} of its word 8-grams with a kept-out "
                         "reference is dropped (listed under the source's 'excluded')",
        "sources": report,
    }
    (args.out / "sources.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    fh, gz, raw = open_gz(args.out / "manifest.tsv.gz")
    fh.write("register\tsplit\trepository\ttitle\torigin\twords\n")
    for row in manifest_rows:
        fh.write("\t".join(str(x).replace("\t", " ") for x in row) + "\n")
    fh.close(), gz.close(), raw.close()
    for r, t in totals.items():
        print(f"{r:9s} train {t['train']['documents']:6d} docs {t['train']['words']:11,d} words   held-out "
              f"{t['heldout']['documents']:5d} docs {t['heldout']['words']:9,d} words", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
