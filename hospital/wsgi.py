"""WSGI entry point (gunicorn hospital.wsgi).

The cyclic garbage collector's full collections walk every object the
process holds. In a web worker most of them are the code, settings and URL
configuration loaded before serving, which live as long as the process:
left in view, they made each full collection take 60-130 ms, and a request
caught behind one waited that long (the p99 of a create). They are taken out
of the collector's view with `gc.freeze()`, as the Python documentation
advises for servers: once the application is loaded, and again after the
first request, which loads the URL configuration, views and templates.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application


def frozen_after_first_request(app):
    """`app`, with what the process holds frozen now and again after its first request."""
    gc.freeze()
    first = [True]

    def application(environ, start_response):
        response = app(environ, start_response)
        if first[0]:
            first[0] = False
            gc.freeze()
        return response

    return application


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hospital.settings")
application = frozen_after_first_request(get_wsgi_application())
