"""Signing in through the real admin login form, as a person does (not force_login)."""

import pytest

from tests.factories import PASSWORD
from tests.security.helpers import sign_in, sign_in_with_totp


def test_a_member_signs_in_with_the_password_alone(town, client):
    response = sign_in(client, "dongmen1_member")
    assert response.status_code == 302, response.content.decode()[:500]
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("username", ["dongmen_head", "operator", "auditor"])
def test_roles_seeing_whole_data_and_administrators_sign_in_with_a_second_factor(
    town, client, username
):
    sign_in_with_totp(client, username)
    assert client.get("/admin/").status_code == 200


def test_a_wrong_password_and_a_user_without_role_get_the_same_answer(town, client):
    from yemai.accounts.models import User

    User.objects.create_user(username="norole", password=PASSWORD)
    wrong = client.post("/admin/login/", {"username": "dongmen_head", "password": "nope-1234"})
    norole = client.post("/admin/login/", {"username": "norole", "password": PASSWORD})
    assert wrong.status_code == norole.status_code == 200
    assert wrong.context["form"].errors == norole.context["form"].errors
