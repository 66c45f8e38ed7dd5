"""WSGI entry point (gunicorn hospital.wsgi): Django's handler, with the pharmacy's plain reads answered first.

The handler is `pharmacy.fast_reads.FastReadHandler`: Django's own, which
answers the plain pharmacy reads before the middleware and hands every other
request to it (see that module).

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

import django


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


def fast_read_application():
    """What `django.core.wsgi.get_wsgi_application` returns, with `FastReadHandler` as the handler."""
    django.setup(set_prefix=False)
    from pharmacy.fast_reads import FastReadHandler  # imports models: only once the apps are loaded

    return FastReadHandler()


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hospital.settings")
application = frozen_after_first_request(fast_read_application())
