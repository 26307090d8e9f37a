"""Signing in through the real admin login form, as a person does (not force_login)."""

import pytest

from tests.factories import PASSWORD


@pytest.mark.parametrize("username", ["dongmen1_member", "dongmen_head", "operator", "auditor"])
def test_every_role_can_sign_in_through_the_login_form(town, client, username):
    response = client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": PASSWORD}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert client.get("/admin/").status_code == 200


def test_a_wrong_password_and_a_user_without_role_get_the_same_answer(town, client):
    from yemai.accounts.models import User

    User.objects.create_user(username="norole", password=PASSWORD)
    wrong = client.post("/admin/login/", {"username": "dongmen_head", "password": "nope-1234"})
    norole = client.post("/admin/login/", {"username": "norole", "password": PASSWORD})
    assert wrong.status_code == norole.status_code == 200
    assert wrong.context["form"].errors == norole.context["form"].errors
