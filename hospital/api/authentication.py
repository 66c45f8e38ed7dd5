"""API authentication: tokens sent as `Authorization: Token <key>`, with help when the prefix is missing.

The most common first mistake is sending the bare key (Swagger UI's Authorize
box takes the header's whole value): instead of DRF's "credentials were not
provided", the 401 says what to send. (No view imports here: DRF imports this
module while it loads its own views.)
"""

from rest_framework import authentication, exceptions

HOW_TO_SEND = (
    'envie o cabeçalho "Authorization: Token <chave>" (a palavra Token, um espaço e a chave; a chave vem de '
    'POST /api/auth/token/). Em /api/docs/, clique em Authorize e cole "Token <chave>".'
)
MISSING_CREDENTIALS = f"Credenciais não informadas: {HOW_TO_SEND}"
MISSING_PREFIX = f'O cabeçalho Authorization não começa por "Token ": {HOW_TO_SEND}'


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication; an Authorization header of another form is refused with how to fix it."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if header and header[0].lower() not in {self.keyword.lower().encode(), b"basic"}:
            raise exceptions.AuthenticationFailed(MISSING_PREFIX)
        return super().authenticate(request)


def explain_not_authenticated(exc: Exception) -> Exception:
    """DRF's NotAuthenticated with a message saying how to authenticate (others unchanged)."""
    if isinstance(exc, exceptions.NotAuthenticated):
        exc.detail = exceptions.ErrorDetail(MISSING_CREDENTIALS, code=exc.default_code)  # keeps its auth_header
    return exc
