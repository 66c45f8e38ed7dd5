"""The hospital's admin speaks pt-BR whatever language the browser asks for.

`LocaleMiddleware` follows Accept-Language, which gave an English browser an
admin of mixed English (Django's labels) and Portuguese (ours). This
middleware, placed after it, activates pt-BR for every /admin/ request; the
API keeps following the client's language.
"""

from django.utils import translation

ADMIN_LANGUAGE = "pt-br"


class AdminLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = "/admin/"

    def __call__(self, request):
        if request.path_info.startswith(self.prefix):
            translation.activate(ADMIN_LANGUAGE)
            request.LANGUAGE_CODE = ADMIN_LANGUAGE
        response = self.get_response(request)
        if request.path_info.startswith(self.prefix):
            response.headers["Content-Language"] = ADMIN_LANGUAGE
        return response
