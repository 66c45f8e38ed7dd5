"""`POST /api/auth/token/`: exchange a username and password for an API token; the token's OpenAPI scheme.

The security scheme tells integrators, where Swagger UI's Authorize box shows
it, to paste `Token <key>` (see `hospital.api.authentication`).
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import parsers, serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny

from hospital.api.parsers import JSONParser


class TokenScheme(OpenApiAuthenticationExtension):
    """The security scheme as Swagger UI shows it in Authorize: the value to paste, prefix included."""

    target_class = "hospital.api.token_cache.CachedTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "Cole `Token <chave>`: a palavra **Token**, um espaço e a chave (exemplo: "
                "`Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b`). Só a chave dá 401. A chave vem de "
                "`POST /api/auth/token/` (demo: `prescritor` / `hospital-prescritor`, `farmacia` / "
                "`hospital-farmacia`)."
            ),
        }


class ObtainTokenView(ObtainAuthToken):
    """Returns `{"token": "..."}`; send it as `Authorization: Token <token>`."""

    permission_classes = [AllowAny]
    authentication_classes = []
    parser_classes = [JSONParser, parsers.FormParser]  # JSON (documented), or a plain HTML form / `curl -d`

    @extend_schema(
        request={"application/json": AuthTokenSerializer},
        responses={
            200: inline_serializer("TokenOutput", {"token": serializers.CharField()}),
            400: inline_serializer(
                "TokenError",
                {"detail": serializers.CharField(), "code": serializers.CharField(), "errors": serializers.DictField()},
            ),
        },
        tags=["auth"],
        summary="Obter a chave de API (envie-a como `Authorization: Token <chave>`)",
        examples=[
            OpenApiExample(
                "Login do prescritor de demonstração",
                value={"username": "prescritor", "password": "hospital-prescritor"},
                request_only=True,
            ),
            OpenApiExample(
                "Chave emitida",
                value={"token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"},
                response_only=True,
                status_codes=["200"],
            ),
            OpenApiExample(
                "Usuário ou senha errados",
                value={
                    "detail": "Dados inválidos; corrija os campos indicados. Nada foi gravado.",
                    "code": "dados_invalidos",
                    "errors": {
                        "non_field_errors": [
                            {
                                "code": "authorization",
                                "message": "Impossível fazer login com as credenciais fornecidas.",
                            }
                        ]
                    },
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
