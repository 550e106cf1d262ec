"""Chinese first (zh-Hans by default, English when chosen) and a complete catalogue."""

from django.urls import reverse


def test_pages_are_chinese_by_default_even_for_an_english_browser(db, client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "zh-hans"
    assert "登录" in response.content.decode()


def test_english_when_chosen(db, client):
    client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    response = client.get(reverse("login"))
    assert response["Content-Language"] == "en"
    assert "Log in" in response.content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/login/"})
    assert "登录" in client.get(reverse("login")).content.decode()


def test_class_names_read_as_schools_write_them(world):
    from django.utils import translation

    with translation.override("zh-hans"):
        assert str(world.class_3_1) == "三年级(1)班"
    with translation.override("en"):
        assert str(world.class_3_1) == "Grade 3 Class 1"
