"""`POST /api/auth/token/`: exchange a username and password for an API token."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import parsers, serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny

from hospital.parsers import JSONParser


class ObtainTokenView(ObtainAuthToken):
    """Returns `{"token": "..."}`; send it as `Authorization: Token <token>`."""

    permission_classes = [AllowAny]
    authentication_classes = []
    parser_classes = [JSONParser, parsers.FormParser]  # JSON, or a plain HTML form / `curl -d`

    @extend_schema(
        request=AuthTokenSerializer,
        responses=inline_serializer("TokenOutput", {"token": serializers.CharField()}),
        tags=["auth"],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
