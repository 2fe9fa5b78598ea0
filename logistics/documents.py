"""Printable shipment documents: the packing slip (A4) that goes in the box
and the shipping label (100 × 150 mm) stuck on it, rendered to PDF by
WeasyPrint from Django templates.

Chinese text needs a CJK font: Noto Sans SC from node_modules (a file the
project installs, so the PDF looks the same everywhere), then the system's
CJK fonts. The shipment number is printed as a Code128 barcode, the
customer's tracking link as a QR code, both as vector SVG."""

import base64
import io
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

FONT_DIR = Path(settings.BASE_DIR) / "node_modules" / "@expo-google-fonts" / "noto-sans-sc"
FONT_FILES = {
    400: FONT_DIR / "400Regular" / "NotoSansSC_400Regular.ttf",
    700: FONT_DIR / "700Bold" / "NotoSansSC_700Bold.ttf",
}
FONT_FAMILY = "Noto Sans SC"
FALLBACK_FAMILIES = '"Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif'


def tracking_path(order) -> str:
    """The customer portal page of the order (the secret-link form)."""
    return f"/track/{order.tracking_token}/"


def tracking_link(request, order) -> str:
    """The portal link made absolute from the request that asks for the PDF."""
    return request.build_absolute_uri(tracking_path(order))


def mask_phone(phone: str) -> str:
    """138****0001: enough for the courier to match a call, not to read it off."""
    digits = "".join(ch for ch in str(phone or "") if ch.isdigit())
    if len(digits) >= 11:
        digits = digits[-11:]
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def barcode_svg_uri(text: str) -> str:
    """A Code128 barcode of `text` as an SVG data URI (bars only: the text is
    printed under it by the template, so it stays selectable)."""
    import barcode
    from barcode.writer import SVGWriter

    out = io.BytesIO()
    barcode.get("code128", text, writer=SVGWriter()).write(
        out,
        options={"write_text": False, "module_width": 0.3, "module_height": 14, "quiet_zone": 2},
    )
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


def qr_svg_uri(text: str) -> str:
    import segno

    return segno.make(text, error="m").svg_data_uri(scale=4, border=2)


def _font_faces() -> list[dict]:
    return [
        {"weight": weight, "url": path.as_uri()}
        for weight, path in FONT_FILES.items()
        if path.is_file()
    ]


def _fetcher():
    """Only our font files and inline data: a document never fetches from the
    network or reads other files, whatever an address happens to contain."""
    from weasyprint.urls import URLFetcher

    allowed = {face["url"] for face in _font_faces()}

    class DocumentFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:") or url in allowed:
                return super().fetch(url, headers)
            raise ValueError(f"not fetched in a document: {url[:80]}")

    return DocumentFetcher()


def render_pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        template,
        {
            **context,
            "font_faces": _font_faces(),
            "font_family": FONT_FAMILY,
            "fallback_families": FALLBACK_FAMILIES,
            "printed_at": timezone.localtime(),
        },
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=_fetcher()).write_pdf()


def _context(shipment, tracking_link: str) -> dict:
    order = shipment.order
    address = dict(order.shipping_address or {})
    address["phone_masked"] = mask_phone(address.get("phone", ""))
    return {
        "shipment": shipment,
        "order": order,
        "address": address,
        "warehouse": shipment.warehouse,
        "carrier": shipment.carrier,
        "tracking_link": tracking_link,
        "barcode": barcode_svg_uri(shipment.number),
        "qr": qr_svg_uri(tracking_link),
    }


def packing_slip_pdf(shipment, tracking_link: str) -> bytes:
    """A4 packing slip: order and shipment, every line with SKU, name, quantity
    and units packed; barcode and QR code."""
    lines = list(shipment.lines.select_related("order_line").order_by("order_line__line_no"))
    return render_pdf(
        "logistics/documents/packing_slip.html",
        {**_context(shipment, tracking_link), "lines": lines},
    )


def shipping_label_pdf(shipment, tracking_link: str) -> bytes:
    """100 × 150 mm shipping label: sender, recipient (phone masked), carrier,
    waybill number, weight, order number, barcode and QR code."""
    return render_pdf("logistics/documents/shipping_label.html", _context(shipment, tracking_link))


DOCUMENTS = {
    "label": (shipping_label_pdf, "label"),
    "slip": (packing_slip_pdf, "packing-slip"),
}


def shipment_document(request, shipment, kind: str) -> HttpResponse:
    """The label or slip of a shipment as an inline PDF response, named after it."""
    render, name = DOCUMENTS[kind]
    response = HttpResponse(
        render(shipment, tracking_link(request, shipment.order)), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="{shipment.number}-{name}.pdf"'
    return response
