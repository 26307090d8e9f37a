import pytest

pytestmark = pytest.mark.urls("tests.web.urls")


def test_the_home_page_asks_a_stranger_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_home_page_names_the_users_scope(town, client):
    client.force_login(town.dongmen_head)
    response = client.get("/")
    assert response.status_code == 200
    assert "东门社区" in response.content.decode()
    assert "西门村" not in response.content.decode()
