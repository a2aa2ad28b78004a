"""What a person sees of an HTML message: the page rendered by headless Chromium (Debian's
`chromium`, no download at run time), read back as its visible text, its links and images.

`seen(html)` loads the HTML (inline `cid:` images replaced by the message's own parts, as a mail
client shows them), lets Chromium lay it out, and returns what is on the screen. `screenshot`
stores a picture of it, for a failing test to leave behind.
"""

from __future__ import annotations

import base64
import html as html_lib
import json
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio")

# Runs after layout; writes what is visible into <pre id="seen"> for --dump-dom to carry out.
_PROBE = """<script>
window.addEventListener("load", () => {
  const box = (e) => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; };
  const data = {
    text: document.body.innerText,
    links: [...document.querySelectorAll("a")].map((a) => ({
      text: a.innerText.trim(), href: a.getAttribute("href"), box: box(a),
      case: (a.closest("[id^=case-]") || {}).id || "",
    })),
    images: [...document.images].map((i) => ({
      alt: i.alt, shown: i.naturalWidth > 0, box: box(i),
    })),
    width: document.documentElement.scrollWidth,
  };
  const pre = document.createElement("pre");
  pre.id = "seen"; pre.style.display = "none"; pre.textContent = JSON.stringify(data);
  document.body.appendChild(pre);
});
</script>"""


@dataclass(frozen=True)
class Seen:
    text: str  # the visible text, as laid out (innerText)
    links: list[dict[str, Any]]  # {text, href, box [x, y, w, h], case: "case-42" or ""}
    images: list[dict[str, Any]]  # {alt, shown, box}
    width: int  # the page's laid-out width in CSS pixels

    def links_of(self, case_id: int) -> dict[str, str]:
        """The links in case `case_id`'s box: label -> href."""
        return {a["text"]: a["href"] for a in self.links if a["case"] == f"case-{case_id}"}


def with_inline_images(markup: str, message: EmailMessage) -> str:
    """The HTML with each `cid:` reference replaced by the message's part, as a client does."""
    parts: Mapping[str, EmailMessage] = {
        str(p["Content-ID"]).strip("<>"): p for p in message.walk() if p["Content-ID"]
    }

    def data_uri(m: re.Match[str]) -> str:
        part = parts.get(m.group(1))
        if part is None:
            return m.group(0)
        payload = base64.b64encode(part.get_content()).decode()
        return f'src="data:{part.get_content_type()};base64,{payload}"'

    return re.sub(r'src="cid:([^"]+)"', data_uri, markup)


def _page(markup: str, directory: Path) -> Path:
    page = directory / "page.html"
    page.write_text(markup.replace("</body>", _PROBE + "</body>", 1), encoding="utf-8")
    return page


def seen(markup: str, directory: Path, *, width: int = 1000) -> Seen:
    page = _page(markup, directory)
    dom = subprocess.run(
        [CHROMIUM, *_FLAGS, f"--window-size={width},1400", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    m = re.search(r'<pre id="seen"[^>]*>(.*?)</pre>', dom, re.S)
    assert m, f"Chromium did not lay the page out:\n{dom[-2000:]}"
    data = json.loads(html_lib.unescape(m.group(1)))
    return Seen(data["text"], data["links"], data["images"], data["width"])


def screenshot(markup: str, directory: Path, name: str, *, width: int = 1000) -> Path:
    """A PNG of the page in `test-artifacts/` (kept after the test; gitignored)."""
    page = _page(markup, directory)
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / f"{name}.png"
    subprocess.run(
        [CHROMIUM, *_FLAGS, f"--window-size={width},3000", f"--screenshot={out}", page.as_uri()],
        capture_output=True,
        timeout=60,
        check=False,
    )
    return out
