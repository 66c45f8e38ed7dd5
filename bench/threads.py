"""Run one function in several threads at once, failing like a plain call would."""

import threading
from collections.abc import Callable, Iterable


def run_in_threads(target: Callable[..., None], arguments: Iterable[tuple]) -> None:
    """Call `target(*args)` in one thread per `args`; wait for all, then re-raise the first error any raised."""
    errors: list[Exception] = []

    def guarded(*args) -> None:
        try:
            target(*args)
        except Exception as exc:  # re-raised below, in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=args) for args in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
