"""Evidence (证据照片): photos of a case, checked by their content, never by their name.

A photo is accepted only if its first bytes are those of a JPEG, PNG, WebP or HEIC file *and*
Pillow decodes the whole picture in that format; the file name and the content type the client
sent are ignored. Three files are kept under ``MEDIA_ROOT`` (outside the web root; never served
directly, only through ``photo_open`` after the caller has checked the case's scope):

* the original, byte for byte (evidence; it may hold the reporter's GPS position in its EXIF),
  with its sha256;
* a public copy, re-encoded as JPEG from the decoded pixels with the EXIF orientation applied
  and **no metadata at all** (no EXIF, so no GPS; no XMP, no ICC, no comments), at most
  ``CASE_PHOTO_PUBLIC_MAX_SIDE`` pixels on its long side;
* a thumbnail (``CASE_PHOTO_THUMB_SIDE``, 320 px) made from the public copy.

Limits (settings, with defaults): ``CASE_PHOTO_MAX_BYTES`` 10 MB per file;
``CASE_PHOTO_MAX_PIXELS`` 50 megapixels, checked from the header *before* decoding, so a small
file that would unpack to gigabytes (a decompression bomb) is refused without being unpacked;
``CASE_PHOTOS_PER_CASE`` 30 photos per case.
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from .choices import PhotoKind
from .models import Case, CaseEvent, CasePhoto

MB = 1024 * 1024
PUBLIC = "public"  # ``photo_open(user_or_public=PUBLIC)``: someone without an account
VARIANTS = ("public", "thumbnail", "original")

# Pillow's format name → (content type, file extension) of the originals we keep.
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "HEIF": ("image/heic", "heic"),
}
# ISO BMFF brands of HEIC/HEIF stills (an iPhone writes ``heic``; ``mif1`` is the generic one).
HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1"}


def _limit(name: str, default):
    return getattr(settings, name, default)


def sniff(head: bytes) -> str | None:
    """The image format the first bytes announce (Pillow's name), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp":
        # The ftyp box: size, 'ftyp', major brand, minor version, compatible brands.
        box_size = int.from_bytes(head[:4], "big")
        brands = {head[8:12]} | {
            head[i : i + 4] for i in range(16, min(box_size, len(head)) - 3, 4)
        }
        if head[8:12] in HEIC_BRANDS or brands & (HEIC_BRANDS - {b"mif1"}):
            return "HEIF"
    return None


_heif_registered = False


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        import pillow_heif  # noqa: PLC0415 — loads libheif only when a photo comes in

        pillow_heif.register_heif_opener()
        _heif_registered = True


@dataclass
class Decoded:
    format: str  # Pillow's name, a key of FORMATS
    width: int  # as shown, after the EXIF orientation
    height: int
    public: bytes  # JPEG, no metadata
    thumbnail: bytes  # JPEG, no metadata


def _flatten(image):
    """Any mode → RGB; transparent parts over white (a JPEG has no alpha)."""
    from PIL import Image  # noqa: PLC0415

    if image.mode in {"RGBA", "LA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    if image.mode in {"I", "I;16", "I;16B", "I;16L", "F"}:
        # 16-bit and float greyscale: scale to 8 bits rather than clip to white.
        image = image.point(lambda v: v / 256).convert("L")
    return image.convert("RGB")


def _jpeg(image, quality: int) -> bytes:
    out = io.BytesIO()
    # No exif=, icc_profile=, comment= or xmp=: Pillow writes none of them then.
    image.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


def decode(data: bytes, *, label: str) -> Decoded:
    """Check that ``data`` is a whole JPEG/PNG/WebP/HEIC picture; make the public copies.

    Raises ValidationError naming ``label`` (the file's name) and the reason.
    """
    from PIL import Image, ImageOps  # noqa: PLC0415

    fmt = sniff(data[:64])
    if fmt is None:
        raise ValidationError(
            {"photo": [_("%(name)s is not a JPEG, PNG, WebP or HEIC image") % {"name": label}]}
        )
    if fmt == "HEIF":
        _register_heif()
    max_pixels = int(_limit("CASE_PHOTO_MAX_PIXELS", 50_000_000))

    def too_big(width=None, height=None):
        if width is None:
            return ValidationError(
                {
                    "photo": [
                        _("%(name)s has too many pixels; the limit is %(limit)s megapixels")
                        % {"name": label, "limit": round(max_pixels / 1_000_000, 1)}
                    ]
                }
            )
        return ValidationError(
            {
                "photo": [
                    _(
                        "%(name)s is %(width)s × %(height)s pixels; the limit is %(limit)s "
                        "megapixels"
                    )
                    % {
                        "name": label,
                        "width": width,
                        "height": height,
                        "limit": round(max_pixels / 1_000_000, 1),
                    }
                ]
            }
        )

    with warnings.catch_warnings():
        # Pillow's own bomb check only warns below twice its limit: make it an error.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[fmt])
            width, height = image.size
            if width * height > max_pixels:
                raise too_big(width, height)
            image.load()  # the whole picture: a truncated or corrupt file fails here
            if image.format == "MPO":  # a JPEG with extra pictures (some cameras)
                image.format = "JPEG"
            oriented = ImageOps.exif_transpose(image)
            flat = _flatten(oriented)
        except ValidationError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_big() from None
        except Exception as exc:  # noqa: BLE001 — every decoder error means "not a whole image"
            raise ValidationError(
                {
                    "photo": [
                        _("%(name)s is damaged or incomplete: %(reason)s")
                        % {"name": label, "reason": str(exc) or exc.__class__.__name__}
                    ]
                }
            ) from None
    if image.format not in FORMATS:
        raise ValidationError(
            {"photo": [_("%(name)s is not a JPEG, PNG, WebP or HEIC image") % {"name": label}]}
        )
    # A fresh image holds the pixels and nothing else: no info dict, no EXIF, no XMP.
    clean = Image.new("RGB", flat.size)
    clean.paste(flat)
    side = int(_limit("CASE_PHOTO_PUBLIC_MAX_SIDE", 2048))
    if max(clean.size) > side:
        clean.thumbnail((side, side), Image.Resampling.LANCZOS)
    thumb = clean.copy()
    thumb_side = int(_limit("CASE_PHOTO_THUMB_SIDE", 320))
    thumb.thumbnail((thumb_side, thumb_side), Image.Resampling.LANCZOS)
    return Decoded(
        format=image.format,
        width=flat.width,
        height=flat.height,
        public=_jpeg(clean, 85),
        thumbnail=_jpeg(thumb, 80),
    )


def read_limited(file, *, label: str) -> bytes:
    """The bytes of an uploaded photo, refused when empty or above CASE_PHOTO_MAX_BYTES."""
    max_bytes = int(_limit("CASE_PHOTO_MAX_BYTES", 10 * MB))
    too_large = ValidationError(
        {
            "photo": [
                _("%(name)s is larger than %(limit)s MB") % {"name": label, "limit": max_bytes / MB}
            ]
        }
    )
    if isinstance(file, bytes | bytearray | memoryview):
        data = bytes(file)
    else:
        size = getattr(file, "size", None)
        if isinstance(size, int) and size > max_bytes:
            raise too_large
        if hasattr(file, "seek"):
            file.seek(0)
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise too_large
    if not data:
        raise ValidationError({"photo": [_("%(name)s is empty") % {"name": label}]})
    return data


def _label(file) -> str:
    name = os.path.basename(str(getattr(file, "name", "") or "")).strip()
    # Only for messages: keep it short and printable.
    name = "".join(ch for ch in name if ch.isprintable())[:80]
    return name or _("The photo")


@transaction.atomic
def photo_add(*, case: Case, file, kind: str, event: CaseEvent | None = None) -> CasePhoto:
    """Store a photo of ``case`` (the caller has checked that the user may touch the case).

    ``file`` is an uploaded file, any binary file object, or bytes. The same picture sent again
    for the same case and kind (a retry on a weak signal) returns the photo stored the first
    time. Raises ValidationError naming the file and the reason: not an image of an accepted
    type, damaged, too large, too many pixels, too many photos.
    """
    label = _label(file)
    if kind not in PhotoKind.values:
        raise ValidationError({"kind": [_("Unknown photo kind %(kind)s") % {"kind": kind}]})
    if event is not None and event.case_id != case.pk:
        raise ValidationError({"event": [_("That step belongs to another case")]})
    data = read_limited(file, label=label)
    digest = hashlib.sha256(data).hexdigest()
    existing = CasePhoto.objects.filter(case=case, kind=kind, sha256=digest).first()
    if existing is not None:
        return existing
    per_case = int(_limit("CASE_PHOTOS_PER_CASE", 30))
    if CasePhoto.objects.filter(case=case).count() >= per_case:
        raise ValidationError(
            {"photo": [_("A case holds at most %(count)s photos") % {"count": per_case}]}
        )
    decoded = decode(data, label=label)
    content_type, ext = FORMATS[decoded.format]
    stem = uuid.uuid4().hex
    photo = CasePhoto(
        case=case,
        event=event,
        kind=kind,
        content_type=content_type,
        width=decoded.width,
        height=decoded.height,
        size=len(data),
        sha256=digest,
    )
    written = []
    try:
        for field, content, suffix in (
            ("original", data, ext),
            ("public", decoded.public, "jpg"),
            ("thumbnail", decoded.thumbnail, "jpg"),
        ):
            file_field = getattr(photo, field)
            file_field.save(f"{stem}.{suffix}", ContentFile(content), save=False)
            written.append(file_field)
        photo.full_clean()
        photo.save()
    except BaseException:
        for file_field in written:  # no file without its row
            file_field.storage.delete(file_field.name)
        raise
    return photo


@dataclass
class PhotoFile:
    """An open photo file to stream: close it when done (a FileResponse does)."""

    file: object
    content_type: str
    filename: str
    size: int


def _is_public(user_or_public) -> bool:
    return (
        user_or_public is None
        or user_or_public == PUBLIC
        or not getattr(user_or_public, "is_authenticated", False)
    )


def photo_open(*, photo: CasePhoto, user_or_public, variant: str = "public") -> PhotoFile:
    """Open one variant of a photo for serving; the caller has checked the case's scope.

    ``public`` and ``thumbnail`` carry no metadata and may be shown to anyone who may see the
    case (residents included). ``original`` may hold the reporter's GPS position (whereabouts:
    sensitive personal information): only staff who may see whole personal data get it, and
    each such view is audited.
    """
    if variant not in VARIANTS:
        raise ValidationError(
            {"variant": [_("Unknown variant %(variant)s") % {"variant": variant}]}
        )
    number = photo.case.number
    if variant == "original":
        if _is_public(user_or_public) or not getattr(user_or_public, "can_reveal_pii", False):
            raise PermissionDenied(_("Only the public copy of this photo may be shown to you"))
        from yemai.core.audit import audit_record  # noqa: PLC0415
        from yemai.core.models import AuditEvent  # noqa: PLC0415

        audit_record(
            user=user_or_public,
            kind=AuditEvent.Kind.VIEW_PII,
            obj=photo,
            detail={"case": number, "variant": "original"},
        )
        ext = FORMATS.get(
            next((k for k, v in FORMATS.items() if v[0] == photo.content_type), "JPEG")
        )[1]
        field, content_type, filename = (
            photo.original,
            photo.content_type,
            f"{number}-{photo.pk}.{ext}",
        )
    elif variant == "thumbnail":
        field, content_type, filename = (
            photo.thumbnail,
            "image/jpeg",
            f"{number}-{photo.pk}-thumb.jpg",
        )
    else:
        field, content_type, filename = photo.public, "image/jpeg", f"{number}-{photo.pk}.jpg"
    handle = field.open("rb")
    return PhotoFile(file=handle, content_type=content_type, filename=filename, size=field.size)
