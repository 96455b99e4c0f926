"""The project's URLs with the app-template pages and API added where the project does
not include them yet (exchange/urls.py and salesops/api.py are another engineer's): the
tests of this part run under it (``settings.ROOT_URLCONF``) and stay right once they are."""

from django.urls import NoReverseMatch, Resolver404, URLResolver, include, path, resolve, reverse
from ninja import NinjaAPI

from salesops import urls as root
from salesops.api import api
from salesops.exchange import urls_app_templates


def _with_pages(patterns: list) -> list:
    mine = list(urls_app_templates.urlpatterns)
    out, added = [], False
    for p in patterns:
        if isinstance(p, URLResolver) and p.namespace == "exchange":
            out.append(path(str(p.pattern), include(([*p.url_patterns, *mine], "exchange"))))
            added = True
        else:
            out.append(p)
    if not added:
        out.append(path("settings/exchange/", include((mine, "exchange"))))
    return out


def _patterns() -> list:
    patterns = list(root.urlpatterns)
    try:
        reverse("exchange:app_template", urlconf=root)
    except NoReverseMatch:
        patterns = _with_pages(patterns)
    try:
        resolve("/api/v1/app-templates/export", urlconf=root)
    except Resolver404:
        # The project's API has built its URLs and takes no more routers: a second one
        # with its authentication and error handlers, for these paths only.
        extra = NinjaAPI(urls_namespace="appcfg-tests", auth=api.auth, docs_url=None)
        extra._exception_handlers = dict(api._exception_handlers)
        extra.add_router("/", "salesops.exchange.api_app_templates.router")
        patterns.insert(0, path("api/v1/", extra.urls))
    return patterns


urlpatterns = _patterns()
