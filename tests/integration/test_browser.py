"""The pages as a reader sees them, in a real browser: Debian's chromium (/usr/bin/chromium, installed by
`make test` / `make browser` when missing), driven by playwright (python package, no bundled browser).

On the shipped data (build → one run of every notebook type → publish) the index and one page of each notebook type
are opened at 1,280 px. A page fails on: a broken image, a link to a file that does not exist, a console error or page
error, a horizontal scrollbar, a table wider than 1,280 px, a table header cut or wrapped narrower than its label,
stray output (NaN, PosixPath, pandas' "rows × columns"), and Chinese text drawn without a CJK font (the fonts the
browser actually used for each Chinese text node are read through the DevTools protocol, CSS.getPlatformFontsForNode,
and must be fonts that cover Chinese according to fontconfig — otherwise the text shows as missing-glyph boxes).
Pages must also be self-contained (no relative <img>) and within the size budget (README: ≤ 1.5 MB).

Screenshots of the index, a profile, a brief page and a brief are written to a temporary folder (printed; kept for a person to
look at).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from analysis.batch.publish import publish
from analysis.batch.runner import run_all
from analysis.metrics.pipeline import build

pytestmark = pytest.mark.notebook

CHROMIUM = os.environ.get("ANALYSIS_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGE_BUDGET = 1_500_000  # bytes per HTML page (README)
WIDTH = 1280
RUNS = [
    "district_profile/马村区_2023",
    "district_comparison/焦作市_2023",
    "district_comparison/示例市_2024",
    "trends/示例一区",
    "area_deep_dive/示例市_2024_p1_effectiveness",
    "data_quality",
]
PAGES = {
    "index": "index.html",
    "profile": "district_profile/马村区_2023/district_profile.html",
    "comparison_real": "district_comparison/焦作市_2023/district_comparison.html",
    "comparison": "district_comparison/示例市_2024/district_comparison.html",
    "trends": "trends/示例一区/trends.html",
    "area": "area_deep_dive/示例市_2024_p1_effectiveness/area_deep_dive.html",
    "quality": "data_quality/all/data_quality.html",
    "methodology": "methodology.html",
    "brief_page": "briefs/焦作市/马村区_2023.html",
}
CJK = re.compile(r"[\u4e00-\u9fff]")


def cjk_families() -> set[str]:
    """Font families fontconfig says cover Chinese."""
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return set()
    return {f.strip() for line in out.splitlines() for f in line.split(",") if f.strip()}


@pytest.fixture(scope="module")
def site(tmp_path_factory, repo):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: `make browser` installs Debian's chromium (as root)")
    processed = tmp_path_factory.mktemp("processed")
    reports = tmp_path_factory.mktemp("reports")
    build(raw_dir=repo / "data" / "raw", processed_dir=processed)
    summary = run_all(jobs=2, only=RUNS, reports_dir=reports, processed_dir=processed, progress=False)
    assert not summary.failed, summary.format()
    publish(processed_dir=processed, reports_dir=reports)
    return reports


@pytest.fixture(scope="module")
def browser(site, bare_browser):
    return bare_browser


@pytest.fixture(scope="module")
def bare_browser():
    """Chromium without the shipped site (for pages written by the test itself)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: `make browser` installs Debian's chromium (as root)")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="analysis-chromium-")
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": WIDTH, "height": 900},
        )
        yield ctx
        ctx.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def shots() -> Path:
    d = Path(tempfile.mkdtemp(prefix="analysis-screenshots-"))
    print(f"\nscreenshots: {d}")
    return d


CHECK_JS = """
() => {
  const out = {};
  const de = document.documentElement;
  out.scroll = [de.scrollWidth, de.clientWidth];
  out.brokenImages = [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt || i.src.slice(0, 80));
  out.relativeImages = [...document.images].map(i => i.getAttribute('src')).filter(s => s && !s.startsWith('data:'));
  out.links = [...document.querySelectorAll('a[href]')].map(a => a.href);
  out.wideTables = [...document.querySelectorAll('table')].map(t => t.getBoundingClientRect().width).filter(w => w > 1280);
  out.cutHeaders = [...document.querySelectorAll('th')].filter(th => th.scrollWidth > th.clientWidth + 1
      || th.getBoundingClientRect().height > 2.2 * parseFloat(getComputedStyle(th).fontSize) + 12).map(th => th.innerText);
  out.text = document.body.innerText;
  out.fontFamily = getComputedStyle(document.body).fontFamily;
  return out;
}
"""


def fonts_used_for_chinese(page) -> dict[str, set[str]]:
    """{element text: fonts chromium used to draw it} for elements with Chinese text of their own."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]
    found: dict[str, set[str]] = {}

    def walk(node):
        for child in node.get("children", []) or []:
            if child.get("nodeType") == 3 and CJK.search(child.get("nodeValue", "")) and len(found) < 60:
                parent = node["nodeId"]
                if node.get("nodeName") in ("SCRIPT", "STYLE", "TITLE", "HEAD"):
                    continue
                fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": parent})["fonts"]
                found[child["nodeValue"].strip()[:20]] = {f["familyName"] for f in fonts}
            walk(child)

    walk(root)
    cdp.detach()
    return found


def check_page(browser, site: Path, rel: str, shots: Path | None = None, name: str = "") -> dict:
    path = site / rel
    assert path.is_file(), rel
    assert path.stat().st_size <= PAGE_BUDGET, f"{rel}: {path.stat().st_size:,} bytes > budget {PAGE_BUDGET:,}"
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    r = page.evaluate(CHECK_JS)
    problems = []
    if errors:
        problems.append(f"console errors: {errors[:3]}")
    if r["scroll"][0] > r["scroll"][1]:
        problems.append(f"horizontal scrollbar: content {r['scroll'][0]}px > {r['scroll'][1]}px")
    if r["brokenImages"]:
        problems.append(f"broken images: {r['brokenImages'][:3]}")
    if rel != "index.html" and r["relativeImages"]:  # index thumbnails are embedded too, but say it for pages
        problems.append(f"images not embedded: {r['relativeImages'][:3]}")
    if r["relativeImages"] and rel == "index.html":
        problems.append(f"index images not embedded: {r['relativeImages'][:3]}")
    for href in r["links"]:
        u = urlparse(href)
        if u.scheme == "file" and not Path(unquote(u.path)).exists():
            problems.append(f"broken link: {unquote(u.path)}")
        elif u.scheme not in ("file", "data", ""):
            problems.append(f"link leaves the reports folder: {href}")
    if r["wideTables"]:
        problems.append(f"tables wider than 1280px: {r['wideTables']}")
    if r["cutHeaders"]:
        problems.append(f"headers narrower than their label: {r['cutHeaders'][:5]}")
    for stray in ("NaN", "PosixPath", "rows ×", "<NA>", "reason_x"):
        if stray in r["text"]:
            problems.append(f"stray output {stray!r} in the page")
    if rel != "index.html" and "返回报告索引" not in r["text"]:
        problems.append("no link back to the index")
    zh = cjk_families()
    if not zh:
        problems.append("no font that covers Chinese is installed (fc-list :lang=zh is empty)")
    else:
        for text, fonts in fonts_used_for_chinese(page).items():
            if not fonts & zh:
                problems.append(f"Chinese text {text!r} drawn with {sorted(fonts)} (no CJK font: missing-glyph boxes)")
                break
    if shots is not None:
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    page.close()
    assert not problems, f"{rel}:\n  " + "\n  ".join(problems)
    return r


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_reads_well_in_chromium(browser, site, shots, name):
    check_page(browser, site, PAGES[name], shots if name in ("index", "profile", "brief_page") else None, name)


def test_index_puts_real_units_first_and_the_sample_apart(browser, site):
    r = check_page(browser, site, "index.html")
    text = r["text"]
    assert text.index("真实数据") < text.index("示例数据（模拟）")
    assert text.index("焦作市") < text.index("示例市")
    # natural order: registry order (一, 二, 三 …), not code point order (一, 三, 二)
    assert text.index("示例一区") < text.index("示例二区") < text.index("示例三区")
    assert "方法说明" in text.split("真实数据")[0] and "数据质量" in text.split("真实数据")[0]


def test_brief_screenshot(browser, site, shots):
    brief = site / "briefs" / "焦作市" / "马村区_2023.png"
    assert brief.is_file()
    page = browser.new_page()
    page.goto(brief.as_uri())
    ok = page.evaluate("() => document.images.length === 1 && document.images[0].naturalWidth > 0")
    page.screenshot(path=str(shots / "brief.png"), full_page=True)
    page.close()
    assert ok


def test_index_cards_link_profile_and_brief_page_and_count_districts_without_data(browser, site):
    r = check_page(browser, site, "index.html")
    links = [unquote(urlparse(h).path) for h in r["links"]]
    assert any(h.endswith("briefs/焦作市/马村区_2023.html") for h in links), links[:20]
    assert any(h.endswith("district_profile/马村区_2023/district_profile.html") for h in links)
    assert "另有9个区县尚无数据" in r["text"]
    real = r["text"].split("示例数据（模拟）")[0]
    assert "未能计算" not in real  # the real city's chart and cards show no rows of districts without a score


def test_every_generated_page_links_back_and_fits_the_budget(site):
    """Not only the pages opened in the browser: every HTML page of the site."""
    pages = [p for p in site.rglob("*.html") if p.name != "index.html" and "_failed" not in p.parts]
    assert len(pages) >= len(RUNS) + 3
    bad = []
    for p in pages:
        text = p.read_text(encoding="utf-8")
        if "返回报告索引" not in text:
            bad.append(f"{p.relative_to(site)}: no link back to the index")
        if p.stat().st_size > PAGE_BUDGET:
            bad.append(f"{p.relative_to(site)}: {p.stat().st_size:,} bytes")
        if re.search(r">[^<]*\bNaN\b[^<]*<", text):
            bad.append(f"{p.relative_to(site)}: NaN shown")
    assert not bad, bad


BAD_PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>坏页面</title></head><body>
<h1>测试页面</h1><div style="width:2000px">很宽的内容</div><p>得分 NaN</p><p>[PosixPath('/x/y.png')]</p>
<img src="missing.png" alt="坏图"><a href="nowhere.html">坏链接</a>
<script>console.error("出错")</script></body></html>"""


def test_the_page_check_fails_on_each_fault(bare_browser, tmp_path):
    """The browser check is not a test that cannot fail: a page with every fault is refused, fault by fault."""
    (tmp_path / "bad.html").write_text(BAD_PAGE, encoding="utf-8")
    with pytest.raises(AssertionError) as err:
        check_page(bare_browser, tmp_path, "bad.html")
    msg = str(err.value)
    for fault in ("horizontal scrollbar", "broken images", "images not embedded", "broken link", "console errors",
                  "stray output 'NaN'", "stray output 'PosixPath'", "no link back to the index"):  # fmt: skip
        assert fault in msg, (fault, msg)
    big = tmp_path / "big.html"
    big.write_text(BAD_PAGE.replace("</body>", "<!--" + "x" * (PAGE_BUDGET + 1) + "--></body>"), encoding="utf-8")
    with pytest.raises(AssertionError, match="budget"):
        check_page(bare_browser, tmp_path, "big.html")
