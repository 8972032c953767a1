"""One view per path across routers.

django-ninja turns each router into its own URL patterns, and Django answers a path with
the first pattern that matches it. When a query router and a command router both serve
`/catalog/items/{code}` (GET from one, PUT and DELETE from the other), the methods of the
second would answer 405. `one_view_per_path` lets the first pattern of a path dispatch to
every router's view of that path, by method.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseNotAllowed
from django.urls import URLPattern


def _dispatch(views: list[Callable]) -> Callable:
    def view(request: HttpRequest, *args, **kwargs):
        allowed: set[str] = set()
        for candidate in views:
            response = candidate(request, *args, **kwargs)
            if not isinstance(response, HttpResponseNotAllowed):
                return response
            allowed.update(m.strip() for m in response["Allow"].split(","))
        return HttpResponseNotAllowed(sorted(allowed), content=b"Method not allowed")

    view.csrf_exempt = True  # type: ignore[attr-defined]  # as ninja's own views
    return view


def one_view_per_path(urls: tuple) -> tuple:
    """`api.urls` with the views of routers sharing a path merged into its first pattern."""
    patterns, app_name, namespace = urls
    by_route: dict[str, list[URLPattern]] = defaultdict(list)
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            by_route[str(pattern.pattern)].append(pattern)
    for group in by_route.values():
        views = list(dict.fromkeys(p.callback for p in group))
        if len(views) > 1:
            group[0].callback = _dispatch(views)
    return patterns, app_name, namespace
