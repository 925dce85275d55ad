"""WeasyPrint, the page engine of every PDF: a document laid out on the chosen paper that loads only
inline data and installed fonts, and its bytes, tagged for a screen reader.

WeasyPrint (the ``report`` extra) is imported when a PDF is made, never at import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from hiprom.errors import ConfigError, missing_extra
from hiprom.report.paper import Paper

FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".woff", ".woff2")


def _allowed(url: str) -> bool:
    """Inline data, or a font file (the stylesheet's ``local()`` fonts resolve to ``file:`` URLs)."""
    return url.startswith("data:") or (url.startswith("file:") and url.lower().endswith(FONT_SUFFIXES))


def _data_only_fetcher(weasyprint: Any) -> Any:
    """A URL fetcher that serves only inline data and installed font files: no network, no documents."""
    urls = weasyprint.urls
    if hasattr(urls, "URLFetcher"):  # WeasyPrint >= 68

        class Fetcher(urls.URLFetcher):
            def fetch(self, url: str, headers: Any = None) -> Any:
                if not _allowed(url):
                    raise ValueError(f"hiprom reports load no external resources (refused {url[:60]!r})")
                return super().fetch(url, headers)

        return Fetcher()

    def fetch(url: str, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - older WeasyPrint
        if not _allowed(url):
            raise ValueError(f"hiprom reports load no external resources (refused {url[:60]!r})")
        return weasyprint.default_url_fetcher(url, *args, **kwargs)

    return fetch


def _weasyprint() -> Any:
    try:
        import weasyprint
    except ImportError:
        raise ConfigError(missing_extra("a PDF report", "WeasyPrint", "report")) from None
    except OSError as exc:  # WeasyPrint installed but Pango missing
        raise ConfigError(f"PDF reports need the Pango library ({exc}); see docs/reports.md") from None
    return weasyprint


@contextmanager
def pdf_layout(paper: Paper) -> Iterator[Callable[[str], Any]]:
    """``layout(html)``: a WeasyPrint document of ``html`` on ``paper`` (every PDF's page size is
    set here, none in a template) that loads only inline data and installed fonts; write it
    (:func:`pdf_bytes`) inside the ``with``.

    WeasyPrint copies each ``@font-face`` font (the report's emoji font: 11 MB) into a new folder
    under the temporary directory and removes it only when its font configuration is garbage
    collected, which never happens to what is alive at exit (WeasyPrint issue #2090): every
    ``hiprom report`` left 11 MB behind. The folder is removed here when the ``with`` ends.

    Raises:
        ConfigError: WeasyPrint or Pango is not installed.
    """
    weasyprint = _weasyprint()
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    fetcher = _data_only_fetcher(weasyprint)
    page = weasyprint.CSS(string=paper.css)
    try:
        yield lambda html: weasyprint.HTML(string=html, url_fetcher=fetcher).render(
            stylesheets=[page], font_config=fonts)
    finally:
        fonts.__del__()  # WeasyPrint's own clean-up (removes the fonts' folder); it has no public one


def pdf_bytes(document: Any) -> bytes:
    """A laid-out WeasyPrint ``document`` as PDF bytes, tagged for a screen reader: every PDF hiprom makes.

    The tags (``pdf_tags``) give the reading order of the page, its headings, lists, tables with their
    column and row headings (``th``, ``scope="row"``) and each picture's alt text; the catalogue has the
    language (``<html lang>``) and the title (``<title>``), shown as the window's title. Not declared
    PDF/UA (``pdf_variant="pdf/ua-1"``): that claims conformance to a rule set hiprom is not checked
    against. Tagging costs about 0.01 s of processor time on a report of 2.5 s (docs/reports.md).
    """
    return document.write_pdf(pdf_tags=True)
