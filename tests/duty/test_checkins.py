"""Face check-in (人脸打卡): a selfie checked by content, stripped of metadata, encrypted at rest."""

import base64
import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from PIL import Image

from yemai.core import crypto
from yemai.duty.models import CheckIn

from .conftest import CAMERA_MARK, selfie


def upload(client, data=None, **fields):
    body = {"lon": "121.21", "lat": "30.21", "accuracy": "12", **fields}
    body["photo"] = SimpleUploadedFile("selfie.jpg", data or selfie(), content_type="image/jpeg")
    return client.post("/api/duty/checkins", body)


def stored_photo(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT photo FROM duty_checkin WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_the_stored_selfie_is_encrypted_not_the_plaintext_jpeg(duty_town, client):
    client.force_login(duty_town.dongmen1_member)
    response = upload(client)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["has_photo"] and body["review"] == "pending" and body["grid"] == "330282001001001"

    raw = stored_photo(body["id"])
    assert raw.startswith(("a1$", "s1$"))
    assert "/9j/" not in raw  # base64 of a JPEG's first bytes
    assert b"\xff\xd8\xff" not in raw.encode("latin-1", "replace")
    plain = base64.b64decode(crypto.decrypt(raw, context="duty.checkin.photo"))
    assert plain.startswith(b"\xff\xd8\xff")


def test_the_selfie_keeps_no_exif_and_is_made_small(duty_town, client):
    client.force_login(duty_town.dongmen1_member)
    body = upload(client, selfie(size=(3000, 2000))).json()
    served = client.get(body["photo_url"])
    assert served.status_code == 200
    data = served.content
    assert CAMERA_MARK not in data and b"Exif" not in data
    picture = Image.open(io.BytesIO(data))
    assert picture.format == "JPEG" and max(picture.size) == 800
    assert not picture.getexif()


def test_a_file_that_is_not_a_picture_is_refused_and_nothing_is_stored(duty_town, client):
    client.force_login(duty_town.dongmen1_member)
    text = upload(client, b"this is not a photo at all")
    assert text.status_code == 400 and "not a JPEG" in str(text.json())
    truncated = upload(client, selfie()[:400])
    assert truncated.status_code == 400 and "damaged" in str(truncated.json())
    assert upload(client, lat="95").status_code == 400
    assert upload(client, lon="abc").status_code == 400
    future = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    assert upload(client, at=future).status_code == 400
    stale = (timezone.now() - dt.timedelta(days=3)).isoformat()
    assert upload(client, at=stale).status_code == 400
    assert upload(client, at="yesterday").status_code == 400
    assert CheckIn.objects.count() == 0


def test_a_retried_check_in_returns_the_first(duty_town, client):
    client.force_login(duty_town.dongmen1_member)
    first = upload(client, client_key="c-1")
    again = upload(client, client_key="c-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert CheckIn.objects.count() == 1


def test_check_ins_need_a_grid_worker(duty_town, client):
    assert upload(client).status_code == 401
    client.force_login(duty_town.security)
    assert upload(client).status_code == 403
    assert CheckIn.objects.count() == 0
