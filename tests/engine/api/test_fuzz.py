"""Fuzz every REST operation of the real engine from its own OpenAPI document.

Schemathesis generates valid and invalid arguments for each operation (its examples, coverage
and fuzzing phases, negative testing included): every answer must be documented and match its
declared schema; schema-valid requests are taken, schema-violating ones refused with a 4xx in
the one error shape; never a server error, never a traceback in the engine's log.
"""

from __future__ import annotations

import copy
import json
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from jsonschema import Draft202012Validator
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import ignored_auth

from haul_engine.api.openapi import openapi_document
from haul_engine.api.server import API_PREFIX
from haul_engine.engine import Engine
from haul_engine.settings import Settings
from tests.support.engine import EngineProcess
from tests.support.programs import allow_loopback_sockets, free_port

if TYPE_CHECKING:
    from collections.abc import Iterator

    from schemathesis import Case

# What the schema cannot say, so that a schema-valid request may still be a 400 (with why):
# rules across query parameters (OpenAPI has no words for them), values compared with each
# other or with what the engine holds, and what a download or a peer address turns out to be.
SEMANTIC_400 = {
    "releases_search": "one of query, imdb_id, tmdb_id, tvdb_id, artist or album is needed",
    "requests_create": "a query, or a tmdb_id (movie) or tvdb_id (tv)",
    "torrents_add": "the .torrent at url is fetched (here a closed port) and read",
    "releases_grab": "the .torrent at url is fetched (here a closed port) and read",
    "torrents_peers": "each peer is an IP address with a port",
    "releases_profiles_create": "a profile's megabytes per minute: min <= preferred <= max",
    "releases_profiles_update": "a profile's megabytes per minute: min <= preferred <= max",
    "options_set": "default_profile names an existing profile",
    "connectors_create": "the url reaches the service; choices name what it lists",
    "connectors_test": "the url reaches the service; choices name what it lists",
    "connectors_update": "the settings merged with the stored ones are valid for the kind",
    "library_gaps": "a search state filters missing or upgrade gaps, never upcoming ones",
}
# The engine's port and token are chosen before it starts: schemathesis is told them when the
# tests are collected.
PORT = free_port()
TOKEN = secrets.token_urlsafe(32)
# Bounded for two busy cores: a fixed number of examples per operation, no shrinking, a fixed
# seed. The stateful phase is off: the document declares no links between operations (the CLI
# infers some from answers; `schemathesis run` over the served document covers it).
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20261121,
        "base-url": f"http://127.0.0.1:{PORT}",
        "headers": {"Authorization": f"Bearer {TOKEN}"},
        "request-timeout": 20,
        "generation": {
            "mode": "all",
            "max-examples": 25,
            "no-shrink": True,
            "deterministic": True,
            "database": "none",
        },
        "phases": {"stateful": {"enabled": False}},
        "checks": {
            # 503 is Unavailable (a connector out of reach), still an error in the one shape
            "not_a_server_error": {"expected-statuses": ["2xx", "4xx", "503"]},
        },
        "operations": [
            {
                "include-operation-id": sorted(SEMANTIC_400),
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "400", "404", "409", "503"]
                    }
                },
            }
        ],
    }
)
# A .torrent URL is fetched for real: only a closed loopback port may be named, so that the
# fetch runs and fails at once instead of resolving generated host names.
CLOSED_PORT_URL = {"type": "string", "pattern": r"^http://127\.0\.0\.1:9/[a-z]{0,8}$"}
FETCHING = [("/api/v1/torrents", "post"), ("/api/v1/releases/grab", "post")]
DOCUMENT = openapi_document(Engine(Settings(data_dir=Path("/nonexistent"))).commands, API_PREFIX)


def constrained(document: dict[str, Any]) -> dict[str, Any]:
    """The document with the operations that would reach out held to loopback."""
    result = copy.deepcopy(document)
    for path, method in FETCHING:
        body = result["paths"][path][method]["requestBody"]["content"]["application/json"]
        body["schema"]["properties"]["url"] = CLOSED_PORT_URL
    return result


schema = schemathesis.openapi.from_dict(constrained(DOCUMENT), config=CONFIG)


@pytest.fixture(scope="module")
def fuzz_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProcess]:
    """An engine of this module only: fuzzing changes its state."""
    allow_loopback_sockets()  # module fixtures run before the autouse fixture that allows them
    data = tmp_path_factory.mktemp("fuzz") / "engine"
    data.mkdir()
    (data / "secrets.json").write_text(json.dumps({"api_token": TOKEN}))
    (data / "secrets.json").chmod(0o600)
    engine = EngineProcess(data, port=PORT).start()
    yield engine
    engine.kill()


def test_the_fuzzed_document_is_the_one_served(fuzz_engine: EngineProcess) -> None:
    status, served = fuzz_engine.request("GET", "/api/v1/openapi.json")
    assert (status, served) == (200, DOCUMENT)
    schemathesis.openapi.from_dict(served, config=CONFIG).validate()
    for component in served["components"]["schemas"].values():
        Draft202012Validator.check_schema(component)


@schema.parametrize()
def test_operation_answers_as_documented(case: Case, fuzz_engine: EngineProcess) -> None:
    logged_before = len(fuzz_engine.log)
    # ignored_auth: the 401 of every route is tested in test_http.py
    case.call_and_validate(excluded_checks=[ignored_auth])
    assert fuzz_engine.process is not None
    assert fuzz_engine.process.poll() is None, fuzz_engine.log[-4000:]
    # nothing failed out of sight either, in a task the request started
    logged = fuzz_engine.log[logged_before:]
    assert "Traceback" not in logged, logged[-4000:]
