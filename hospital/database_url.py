"""`DATABASE_URL` as Django's database settings, with the socket directory where every client looks for it."""

import dj_database_url


def database_settings(url: str, *, conn_max_age: int) -> dict:
    """Django's settings for the PostgreSQL database named by `url`.

    A URL may name a Unix-socket directory as a query parameter
    (`postgresql://user@/db?host=/path/to/sockets`, the embedded server's
    form). dj-database-url puts that in `OPTIONS['host']`, which the driver
    honours but Django's `HOST` does not see: `manage.py dbshell` would then
    start `psql` against the machine's default socket, another server. The
    directory is moved to `HOST`, which the driver and `psql` both use.
    """
    config = dj_database_url.parse(url, conn_max_age=conn_max_age)
    config["ENGINE"] = "hospital.db"  # Django's PostgreSQL backend, with a cheaper health check (hospital.db)
    options = config.setdefault("OPTIONS", {})
    socket_host = options.pop("host", None)
    if socket_host and not config.get("HOST"):
        config["HOST"] = socket_host
    return config
