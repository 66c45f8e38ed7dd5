"""What the REST APIs share: one error shape, authentication, permissions, input parsing and the OpenAPI docs.

- `exceptions`: DRF's exception handler (domain errors of `hospital.errors` become 400/404/409 in the one shape);
  `http_errors`: the middleware that shapes every other `/api/` error; `unavailable`: 503 while PostgreSQL is down.
- `authentication`, `token_cache`, `auth` (the token view), `permissions`: who calls and what their groups allow.
- `parsers`, `fields`, `query_params`, `converters`: strict input (JSON, serializer fields, query strings, URL ids).
- `api_docs`, `openapi`: the schema's shared examples and its error responses.
"""
