"""Report files → normalized text with locators.

``read_document(path)`` reads a .txt / .html / .htm / .docx / .pdf report and returns a :class:`Document` whose
``text`` is what every later step matches against: evidence spans (``span_start``/``span_end``) are offsets into it,
and ``Document.locate(offset)`` turns such an offset back into a place in the original file (``para 12``,
``page 3, para 2``, ``table 1, row 2, cell 3``).

Anything that cannot be read raises :class:`DocumentError` (a ``ValueError``) whose message names the file and,
when known, the place: empty file, binary junk, corrupt .docx, unknown extension, a PDF without a text layer,
undecodable bytes. Things that can be read but look suspicious are read and reported in ``Document.warnings``.

Encodings (plain text and HTML bytes) are read by the one decoder, :mod:`analysis.ingest.decode` (BOM, UTF-8,
GB18030 or Big5 by common characters, mixed encodings line by line, charset-normalizer, then U+FFFD for a few bad
lines); for HTML, valid UTF-8 wins over a declared ``charset``, otherwise the declared charset is tried first.
Anything else raises ``DocumentError`` ("undecodable bytes", with the first bad line).

Formats. ``.txt``: ``text`` is the whole normalized file, paragraphs are its non-blank lines (``para N``).
``.html``: scripts/styles/forms and navigation/header/footer/aside/share/breadcrumb blocks (by tag or class/id)
are dropped, then trafilatura extracts the article; if it finds none (short pages) or fails, a bs4 heuristic takes
the element holding most Chinese text; the ``<h1>`` (or ``<title>`` before its ``_site`` suffix) is the title.
``.docx``: body paragraphs and table cells in document order (``para N`` / ``table T, row R, cell C``; a merged
cell is read once). ``.pdf``: text layer per page; a page's lines are re-joined into paragraphs (a paragraph ends at
a blank line, at 。！？；：, at a clearly short line or a ``一、``/``（一）`` heading) → ``page P, para K``.
In these three formats ``text`` is the blocks joined by ``
`` (a block's own line breaks become spaces).

Warnings (each starts with the file path): traditional text converted, mixed encodings, replaced bytes, text cut
at ``MAX_CHARS``, and gambling/spam words injected by mirror sites (``spam_warnings``, with the paragraph).
``Document.fingerprint`` is a whitespace-insensitive hash of ``text`` so the same report filed twice (another
format, encoding or layout) can be recognised.

Normalization (``normalize_text``), applied before anything is matched, so offsets always refer to normalized text:

* line ends ``\r\n``/``\r`` → ``\n``; zero-width characters and BOMs are removed; NBSP and the ideographic
  space U+3000 become an ASCII space;
* full-width ASCII forms U+FF01–U+FF5E (digits ０-９, letters, ％ ＋ － ． ／ ＝ ＜ ＞ …) → their ASCII
  counterparts, **except** the Chinese punctuation the extractor splits clauses on, which is kept exactly as
  written: ，；：（）！？ (and 。、“”‘’《》〔〕 are outside that block, so they are untouched as well);
* traditional → simplified (OpenCC ``t2s``) only when the text looks traditional (more than 1 % of its Han
  characters change under t2s), with a warning; already-simplified text is never passed through t2s, so forms
  like 著/乾 in simplified text are left alone.

Large inputs: text beyond ``MAX_CHARS`` characters is cut off with a warning that says so (a report is tens of
kilobytes; a 20 MB file is a mirror dump or an accident, not something to match in full).

Modules: ``model`` (Document, DocumentError), ``normalize``, ``assemble`` (what every reader shares), ``read_txt``,
``read_html``, ``read_docx``, ``read_pdf``, ``read`` (``read_document``); the public names are importable from here.
"""

from analysis.ingest.reports.documents.assemble import MAX_BYTES, MAX_CHARS, decode_bytes
from analysis.ingest.reports.documents.model import KINDS, Document, DocumentError, fingerprint
from analysis.ingest.reports.documents.normalize import (
    KEEP_FULLWIDTH,
    TRADITIONAL_SHARE,
    looks_traditional,
    normalize_text,
)
from analysis.ingest.reports.documents.read import SPAM_WORDS, read_document, spam_warnings
from analysis.ingest.reports.documents.read_html import MAX_HTML_BLOCKS_FALLBACK, MAX_HTML_DEPTH, html_depth
from analysis.ingest.reports.documents.read_pdf import MAX_PDF_PAGES

__all__ = [
    "Document",
    "DocumentError",
    "KEEP_FULLWIDTH",
    "KINDS",
    "MAX_BYTES",
    "MAX_CHARS",
    "MAX_HTML_BLOCKS_FALLBACK",
    "MAX_HTML_DEPTH",
    "MAX_PDF_PAGES",
    "SPAM_WORDS",
    "TRADITIONAL_SHARE",
    "decode_bytes",
    "fingerprint",
    "html_depth",
    "looks_traditional",
    "normalize_text",
    "read_document",
    "spam_warnings",
]
