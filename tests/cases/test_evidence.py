"""Evidence photos: checked by content, size-limited, GPS gone from what the public sees."""

import hashlib
import io
import struct
import zlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from yemai.cases.choices import PhotoKind, Source
from yemai.cases.evidence import PUBLIC, photo_add, photo_open
from yemai.cases.models import CasePhoto
from yemai.cases.services import case_report
from yemai.core.models import AuditEvent

from .conftest import IN_DONGMEN1

GPS_IFD = 0x8825
ORIENTATION = 0x0112


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def case(loop_town):
    case, _ = case_report(
        source=Source.RESIDENT,
        category=loop_town.stall,
        description="门口摆摊",
        reporter_name="居民甲",
        **IN_DONGMEN1,
    )
    return case


def gps_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "Yemai test camera"  # Make
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"  # GPSLatitudeRef
    gps[2] = (30.0, 12.0, 36.0)  # GPSLatitude
    gps[3] = "E"
    gps[4] = (121.0, 12.0, 36.0)
    return exif


def picture(width=640, height=480, mode="RGB"):
    image = Image.new(mode, (width, height))
    # Left half red, right half blue: orientation is visible in the pixels.
    image.paste((255, 0, 0) if mode == "RGB" else 255, (0, 0, width // 2, height))
    image.paste((0, 0, 255) if mode == "RGB" else 0, (width // 2, 0, width, height))
    return image


def encode(image, fmt, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def heic(image, **params) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    return encode(image, "HEIF", **params)


def upload(data: bytes, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def read(field) -> bytes:
    with field.open("rb") as fh:
        return fh.read()


def has_no_metadata(jpeg: bytes) -> bool:
    opened = Image.open(io.BytesIO(jpeg))
    return (
        opened.format == "JPEG"
        and "exif" not in opened.info
        and not opened.getexif()
        and b"\xff\xe1" not in jpeg  # no APP1 segment at all: neither EXIF nor XMP
        and b"\xff\xe2" not in jpeg  # no APP2 (ICC profile)
        and b"GPS" not in jpeg
    )


def files_on_disk(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_it_keeps_gps_in_the_original_and_drops_every_exif_from_the_public_copy(case, _media):
    data = encode(picture(), "JPEG", exif=gps_exif())
    photo = photo_add(case=case, file=upload(data), kind=PhotoKind.REPORT)

    original = read(photo.original)
    assert original == data
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)[2] == (30.0, 12.0, 36.0)
    assert has_no_metadata(read(photo.public))
    assert has_no_metadata(read(photo.thumbnail))
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    assert (photo.width, photo.height, photo.size) == (640, 480, len(data))
    assert photo.content_type == "image/jpeg"
    # Stored under MEDIA_ROOT with a name the client did not choose.
    assert str(_media) in photo.original.path and "photo" not in photo.original.name


def test_it_applies_the_orientation_before_removing_it(case):
    # Orientation 6: the camera was turned; viewers rotate 90° clockwise.
    data = encode(picture(640, 480), "JPEG", exif=gps_exif(orientation=6))
    photo = photo_add(case=case, file=upload(data), kind=PhotoKind.BEFORE)

    public = Image.open(io.BytesIO(read(photo.public))).convert("RGB")
    assert (photo.width, photo.height) == (480, 640)
    assert public.size == (480, 640)
    top, bottom = public.getpixel((240, 10)), public.getpixel((240, 630))
    assert top[0] > 200 and top[2] < 60  # red (the left half) is on top after rotating
    assert bottom[2] > 200 and bottom[0] < 60


def test_it_makes_a_thumbnail_of_at_most_320_pixels(case):
    photo = photo_add(case=case, file=upload(encode(picture(1600, 900), "PNG")), kind="after")
    thumb = Image.open(io.BytesIO(read(photo.thumbnail)))
    assert thumb.format == "JPEG" and thumb.size == (320, 180)


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("PNG", "image/png"), ("WEBP", "image/webp"), ("HEIC", "image/heic")],
)
def test_it_accepts_png_webp_and_heic_whatever_the_file_is_called(case, fmt, content_type):
    image = picture(200, 100)
    data = heic(image, exif=gps_exif()) if fmt == "HEIC" else encode(image, fmt, exif=gps_exif())
    # The name and the client's content type lie; the content decides.
    photo = photo_add(
        case=case, file=upload(data, name="scan.pdf", content_type="text/plain"), kind="report"
    )
    assert photo.content_type == content_type
    assert photo.original.name.endswith({"PNG": ".png", "WEBP": ".webp"}.get(fmt, ".heic"))
    assert read(photo.original) == data
    assert has_no_metadata(read(photo.public))
    assert (photo.width, photo.height) == (200, 100)


def test_a_transparent_png_is_shown_over_white(case):
    image = Image.new("RGBA", (50, 50), (0, 0, 0, 0))
    photo = photo_add(case=case, file=upload(encode(image, "PNG")), kind="report")
    assert Image.open(io.BytesIO(read(photo.public))).convert("RGB").getpixel((25, 25)) == (
        255,
        255,
        255,
    )


def truncated_jpeg() -> bytes:
    data = encode(picture(), "JPEG", quality=95)
    return data[: len(data) // 2]


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        ("notes.jpg", "这不是照片，只是文字。".encode(), "is not a JPEG, PNG, WebP or HEIC"),
        ("half.jpg", truncated_jpeg(), "is damaged or incomplete"),
        ("scan.jpg", PDF, "is not a JPEG, PNG, WebP or HEIC"),
        ("drawing.png", SVG, "is not a JPEG, PNG, WebP or HEIC"),
        ("anim.jpg", encode(picture(), "GIF"), "is not a JPEG, PNG, WebP or HEIC"),
        ("fake.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 200, "is damaged or incomplete"),
        ("fake.heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "damaged"),
    ],
)
def test_it_refuses_fakes_naming_the_file_and_why(case, _media, name, data, why):
    with pytest.raises(ValidationError) as caught:
        photo_add(case=case, file=upload(data, name=name), kind="report")
    message = caught.value.message_dict["photo"][0]
    assert name in message and why in message
    assert not CasePhoto.objects.exists()
    assert files_on_disk(_media) == []


def test_it_refuses_a_file_over_the_size_limit(case, settings):
    settings.CASE_PHOTO_MAX_BYTES = 50_000
    data = encode(Image.effect_noise((400, 400), 64).convert("RGB"), "PNG")
    assert len(data) > 50_000
    with pytest.raises(ValidationError, match="big.png is larger than"):
        photo_add(case=case, file=upload(data, name="big.png"), kind="report")


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height`` pixels (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def test_it_refuses_a_decompression_bomb_before_unpacking_it(case):
    bomb = png_claiming(100_000, 100_000)  # 10 gigapixels: 30 GB once decoded
    assert len(bomb) < 200
    with pytest.raises(
        ValidationError, match="bomb.png has too many pixels; the limit is 50.0 megapixels"
    ):
        photo_add(case=case, file=upload(bomb, name="bomb.png"), kind="report")


def test_it_refuses_a_real_image_with_too_many_pixels(case, settings):
    settings.CASE_PHOTO_MAX_PIXELS = 1_000_000
    data = encode(Image.new("1", (2000, 2000)), "PNG")  # 4 MP in a few kilobytes
    assert len(data) < 10_000
    with pytest.raises(ValidationError, match="the limit is 1.0 megapixels"):
        photo_add(case=case, file=upload(data, name="flat.png"), kind="report")


def test_sending_the_same_photo_again_stores_it_once(case, _media):
    data = encode(picture(), "JPEG")
    first = photo_add(case=case, file=upload(data), kind="report")
    again = photo_add(case=case, file=upload(data), kind="report")
    assert again.pk == first.pk
    assert len(files_on_disk(_media)) == 3


def test_a_case_holds_a_limited_number_of_photos(case, settings):
    settings.CASE_PHOTOS_PER_CASE = 2
    for colour in ("red", "green"):
        photo_add(case=case, file=encode(Image.new("RGB", (10, 10), colour), "PNG"), kind="report")
    with pytest.raises(ValidationError, match="at most 2 photos"):
        photo_add(case=case, file=encode(Image.new("RGB", (10, 10), "blue"), "PNG"), kind="report")


def test_it_refuses_an_event_of_another_case(case, loop_town):
    other, _ = case_report(
        source=Source.RESIDENT, category=loop_town.stall, description="另一处", **IN_DONGMEN1
    )
    with pytest.raises(ValidationError, match="another case"):
        photo_add(
            case=case, file=encode(picture(), "JPEG"), kind="report", event=other.events.first()
        )


def test_the_public_and_staff_get_the_copy_without_gps(case, loop_town):
    photo = photo_add(
        case=case, file=upload(encode(picture(), "JPEG", exif=gps_exif())), kind="report"
    )
    for who in (PUBLIC, None, loop_town.dongmen1_member):
        opened = photo_open(photo=photo, user_or_public=who, variant="public")
        with opened.file as fh:
            assert has_no_metadata(fh.read())
        assert opened.content_type == "image/jpeg"
        thumb = photo_open(photo=photo, user_or_public=who, variant="thumbnail")
        thumb.file.close()
        with pytest.raises(PermissionDenied):
            photo_open(photo=photo, user_or_public=who, variant="original")


def test_the_original_is_shown_to_the_centre_and_audited(case, loop_town):
    data = encode(picture(), "JPEG", exif=gps_exif())
    photo = photo_add(case=case, file=upload(data), kind="report")
    opened = photo_open(photo=photo, user_or_public=loop_town.operator, variant="original")
    with opened.file as fh:
        assert fh.read() == data
    assert opened.filename.endswith(".jpg")
    audit = AuditEvent.objects.get(kind=AuditEvent.Kind.VIEW_PII, object_id=str(photo.pk))
    assert audit.user == loop_town.operator and audit.detail["case"] == case.number


def test_an_unknown_variant_is_refused(case):
    photo = photo_add(case=case, file=encode(picture(), "JPEG"), kind="report")
    with pytest.raises(ValidationError):
        photo_open(photo=photo, user_or_public=PUBLIC, variant="raw")
