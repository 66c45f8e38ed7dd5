"""What the project is compared with over HTTP, served by the same gunicorn (bench only, never deployed).

- the **peer** (`bench.peer.views`): the endpoints a competent Django developer
  would write without CQRS, plain DRF over the normalized tables;
- the **limit** (`bench.peer.bare`): a bare WSGI handler running the read
  endpoints' SQL through psycopg and writing the same JSON.

`bench.peer.settings` is the project's settings plus this app and its URLs;
`bench.peer.wsgi` routes `/bare/` to the bare handler and everything else to Django.
"""
