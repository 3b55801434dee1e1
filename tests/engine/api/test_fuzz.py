"""Fuzz every REST operation of the real engine from its own OpenAPI document.

Schemathesis generates valid and invalid arguments for each operation; every answer must be
documented, match its declared schema, and never be a server error: bad input gets a 4xx with
the one error shape, and the engine keeps running.
"""

from __future__ import annotations

import copy
import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from hypothesis import assume
from jsonschema import Draft202012Validator
from schemathesis.config import SchemathesisConfig
from schemathesis.core import NOT_SET
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import ignored_auth

from tests.support.engine import EngineProcess
from tests.support.programs import allow_loopback_sockets

if TYPE_CHECKING:
    from collections.abc import Iterator

    from schemathesis import Case
    from schemathesis.specs.openapi.schemas import OpenApiSchema

# Bounded to well under 90 s on two busy cores: a fixed number of examples per operation, no
# shrinking, a fixed seed. The coverage phase is off: it spends minutes building its cases.
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20261121,
        "request-timeout": 20,
        "generation": {
            "mode": "all",
            "max-examples": 25,
            "no-shrink": True,
            "deterministic": True,
            "database": "none",
        },
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        "checks": {
            # 503 is Unavailable (something the command needs is not reachable), still an error
            # in the one shape: response_schema_conformance checks it against "default".
            "not_a_server_error": {"expected-statuses": ["2xx", "4xx", "503"]},
            # A schema states types, not every rule (known connector kinds, magnet syntax, ...).
            "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "404", "409", "503"]},
        },
    }
)
# A .torrent URL is fetched for real: only a closed loopback port may be named, so that the
# fetch runs and fails at once instead of resolving generated host names.
CLOSED_PORT_URL = {"type": "string", "pattern": r"^http://127\.0\.0\.1:9/[a-z]{0,8}$"}
FETCHING = [("/api/v1/torrents", "post"), ("/api/v1/releases/grab", "post")]

# Hand-made input that random generation rarely reaches; each must be refused with a 400.
HOSTILE = {
    "nested too deeply": (
        "POST",
        "/releases/parse",
        b'{"names": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    ),
    "lone surrogate": ("POST", "/releases/parse", b'{"names": ["\\ud800"]}'),
    "NaN": ("POST", "/releases/rank", b'{"releases": [], "runtime": NaN}'),
    "NUL in text": ("POST", "/releases/profiles", b'{"name": "a\\u0000b", "rules": {}}'),
    "NUL in a query": ("GET", "/connectors?kind=a%00b", None),
    "id beyond 64 bits": ("GET", "/requests/99999999999999999999", None),
    "page beyond 64 bits": ("GET", "/gaps?page=99999999999999999999", None),
    "nested int beyond 64 bits": (
        "POST",
        "/releases/rank",
        b'{"releases": [{"title": "x", "size": 99999999999999999999}]}',
    ),
}

schema = schemathesis.pytest.from_fixture("fuzz_schema")


def mutation_dropped(case: Case) -> bool:
    """Whether schemathesis left out an optional body it had mutated: the request is valid."""
    body = case.meta.components.get(ParameterLocation.BODY) if case.meta else None
    return body is not None and body.mode.is_negative and case.body is NOT_SET


def constrained(document: dict[str, Any]) -> dict[str, Any]:
    """The document with the operations that would reach out held to loopback."""
    result = copy.deepcopy(document)
    for path, method in FETCHING:
        body = result["paths"][path][method]["requestBody"]["content"]["application/json"]
        body["schema"]["properties"]["url"] = CLOSED_PORT_URL
    return result


@pytest.fixture(scope="module")
def fuzz_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProcess]:
    """An engine of this module only: fuzzing changes its state."""
    engine = EngineProcess(tmp_path_factory.mktemp("fuzz") / "engine").start()
    yield engine
    engine.kill()


@pytest.fixture(scope="module")
def openapi(fuzz_engine: EngineProcess) -> dict[str, Any]:
    """The engine's OpenAPI document, as served."""
    allow_loopback_sockets()  # module fixtures run before the autouse fixture that allows them
    status, document = fuzz_engine.request("GET", "/api/v1/openapi.json")
    assert status == 200
    return dict(document)


@pytest.fixture(scope="module")
def fuzz_schema(fuzz_engine: EngineProcess, openapi: dict[str, Any]) -> OpenApiSchema:
    """The document loaded by schemathesis, aimed at the engine with its token."""
    loaded = schemathesis.openapi.from_dict(constrained(openapi), config=CONFIG)
    loaded.config.update(base_url=fuzz_engine.url, headers=fuzz_engine.headers)
    return loaded


@pytest.mark.parametrize(("method", "path", "body"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_input_is_refused(
    fuzz_engine: EngineProcess, method: str, path: str, body: bytes | None
) -> None:
    request = urllib.request.Request(  # noqa: S310 - the engine on loopback
        f"{fuzz_engine.url}/api/v1{path}", data=body, method=method, headers=fuzz_engine.headers
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)  # noqa: S310
    assert refused.value.code == 400
    assert json.loads(refused.value.read())["error"]["code"] == "invalid_input"


def test_openapi_document_is_valid(openapi: dict[str, Any]) -> None:
    schemathesis.openapi.from_dict(openapi, config=CONFIG).validate()
    for component in openapi["components"]["schemas"].values():
        Draft202012Validator.check_schema(component)


@schema.parametrize()
def test_operation_answers_as_documented(case: Case, fuzz_engine: EngineProcess) -> None:
    assume(not mutation_dropped(case))
    logged_before = len(fuzz_engine.log)
    # ignored_auth: the 401 of every route is tested in test_http.py
    case.call_and_validate(excluded_checks=[ignored_auth])
    assert fuzz_engine.process is not None
    assert fuzz_engine.process.poll() is None, fuzz_engine.log[-4000:]
    # nothing failed out of sight either, in a task the request started
    logged = fuzz_engine.log[logged_before:]
    assert "Traceback" not in logged, logged[-4000:]
