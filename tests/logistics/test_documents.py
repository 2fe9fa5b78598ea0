"""Packing slip and shipping label PDFs: Chinese text in an embedded CJK font,
a Code128 barcode of the shipment number and a QR code of the tracking link.
Rendering takes about a second, so each document is rendered once."""

import io
import re

import pytest
from django.utils import translation
from pypdf import PdfReader

from logistics.documents import mask_phone, packing_slip_pdf, shipping_label_pdf
from logistics.services import pack_scan, shipment_create, wave_create
from orders.services import order_confirm

pytestmark = pytest.mark.django_db

LINK = "https://erp.example.com/track/secret-token/"


@pytest.fixture
def shipment(world, weighed, stock, place, carrier):
    stock("sh", "tea", 10)
    stock("sh", "cup", 10)
    world["tea"].name = "龙井茶"
    world["tea"].save()
    order = place(("tea", 2), ("cup", 1), city="杭州市", phone="13800000001")
    order_confirm(order=order)
    shipment = shipment_create(order=order, warehouse=world["sh"], carrier=carrier)
    shipment.tracking_number = "SF1234567890"
    shipment.save(update_fields=["tracking_number"])
    wave_create(warehouse=world["sh"], shipments=[shipment])
    pack_scan(shipment=shipment, code="TEA-1", quantity=2)
    return shipment


def read(pdf: bytes):
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[0]
    fonts = [f.get_object() for f in page["/Resources"]["/Font"].values()]
    return page, fonts


def embedded_noto(fonts) -> bool:
    """A font whose name is Noto Sans SC with its glyphs embedded in the file."""
    for font in fonts:
        names = [str(font["/BaseFont"])]
        for descendant in font.get("/DescendantFonts", []):
            descendant = descendant.get_object()
            names.append(str(descendant["/BaseFont"]))
            descriptor = descendant["/FontDescriptor"].get_object()
            if any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")) and any(
                "NotoSansSC" in name.replace("-", "").replace(" ", "") for name in names
            ):
                return True
    return False


def bars(page) -> int:
    """Filled rectangles drawn in the page: the barcode's bars."""
    return len(re.findall(rb"\bre\b", page.get_contents().get_data()))


def test_shipping_label_renders_chinese_barcode_and_qr(shipment):
    with translation.override("zh-hans"):
        pdf = shipping_label_pdf(shipment, LINK)
    page, fonts = read(pdf)
    # 100 x 150 mm
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (100, 150)
    text = page.extract_text()
    assert "王芳" in text and "杭州市" in text and "人民路1号" in text
    assert "138****0001" in text and "13800000001" not in text
    assert "顺丰速运" in text and "SF1234567890" in text
    assert shipment.order.number in text
    assert shipment.number in text  # printed under the barcode
    assert "1.3" in text  # weight: 2 x 0.5 + 1 x 0.3 kg
    assert embedded_noto(fonts)
    # Code128 of "SH-YYYYMMDD-NNNNN": well over 20 bars, each a filled rectangle.
    assert bars(page) > 20
    # The QR code is one path of short strokes, drawn after the barcode.
    assert b" l\n" in page.get_contents().get_data() or b" l " in page.get_contents().get_data()


def test_packing_slip_lists_lines_with_packed_units(shipment):
    with translation.override("en"):
        pdf = packing_slip_pdf(shipment, LINK)
    page, fonts = read(pdf)
    assert round(float(page.mediabox.width) / 72 * 25.4) == 210  # A4
    text = page.extract_text()
    assert "Packing slip" in text
    assert shipment.order.number in text and shipment.number in text
    assert "龙井茶" in text and "TEA-1" in text and "CUP-1" in text
    # Line rows: SKU, name, quantity, packed.
    assert re.search(r"TEA-1\s*龙井茶\s*2\s*2", text)
    assert re.search(r"CUP-1\s*\S+\s*1\s*0", text)
    assert embedded_noto(fonts)
    assert bars(page) > 20


def test_phone_numbers_are_masked():
    assert mask_phone("13800000001") == "138****0001"
    assert mask_phone("+86 138-0000-0001") == "138****0001"
    assert mask_phone("021-12345678") == "021****5678"
    assert mask_phone("") == ""
