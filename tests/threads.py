"""Running the same work in several threads at once, as concurrent requests or workers would."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection as db_connection


def run_together(work: Callable[..., Any], arguments: Iterable[tuple], *, timeout: float = 60) -> tuple[list, list]:
    """``work(*args)`` for each ``args``, each in its own thread, all released at the same moment.
    Returns the results and the exceptions raised; each thread closes its database connection."""
    arguments = list(arguments)
    start, results, errors = threading.Barrier(len(arguments)), [], []

    def run(*args: Any) -> None:
        try:
            start.wait()
            results.append(work(*args))
        except Exception as error:  # noqa: BLE001 - handed back for the test to check
            errors.append(error)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=run, args=args) for args in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results, errors
