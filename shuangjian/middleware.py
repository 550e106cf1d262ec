"""Chinese first: every page is in Simplified Chinese unless the person chose English.

Django's LocaleMiddleware would follow the browser's Accept-Language, so a school computer
with an English system would get an English UI.  Here only the language cookie (set by the
switch in the page header) changes the language.
"""

from django.conf import settings
from django.utils import translation


class ChineseFirstLocaleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch = response.get("Vary", "")
        if "Cookie" not in patch:
            response["Vary"] = f"{patch}, Cookie" if patch else "Cookie"
        return response
