"""The API's OpenAPI document: valid OpenAPI 3.1 (openapi-spec-validator), describing every
route the app serves under /api/ and nothing else; the docs page and its Swagger UI files come
from this app (no CDN)."""

from __future__ import annotations

import re
from typing import Any

from openapi_spec_validator import validate

from tests.ui.api_client import Api

_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def _served(app: Any) -> set[tuple[str, str]]:
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = _CONVERTER.sub(r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            served.add((method.lower(), path))
    return served


async def test_the_document_is_valid_openapi(app: Any) -> None:
    answer = await Api(app).get("/api/openapi.json")
    assert answer.status == 200
    document = answer.data
    validate(document)
    assert document["openapi"].startswith("3.1")
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["summary"] and operation["responses"], (method, path)
            for param in re.findall(r"{(\w+)}", path):
                assert any(p["name"] == param and p["in"] == "path"
                           for p in operation["parameters"]), (method, path, param)


async def test_every_api_route_is_in_the_document(app: Any) -> None:
    document = (await Api(app).get("/api/openapi.json")).data
    documented = {(method, path) for path, operations in document["paths"].items()
                  for method in operations}
    served = _served(app)
    assert len(served) > 50
    assert served - documented == set()
    assert documented - served == set()


async def test_the_docs_page_is_served_from_the_app(app: Any) -> None:
    client = app.test_client()
    page = await client.get("/api/docs")
    text = await page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="swagger-ui"' in text
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"].split("script-src")[1]
    sources = re.findall(r'(?:src|href)="([^"]+)"', text)
    assert sources and all(s.startswith("/") for s in sources), sources
    for source in sources:
        asset = await client.get(source)
        assert asset.status_code == 200, source
    assert "/api/openapi.json" in text


async def test_documented_examples_answer_as_documented(app: Any) -> None:
    """Every public GET without path parameters answers 200 with JSON (or the page)."""
    document = (await Api(app).get("/api/openapi.json")).data
    client = Api(app)
    for path, operations in document["paths"].items():
        get = operations.get("get")
        if get is None or "{" in path or {} not in get["security"]:
            continue
        answer = await client.get(path)
        assert answer.status == 200, (path, answer)
