"""Reading usage tolerantly: answer shapes, batching, failures, over HTTP to a stub server."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from gsctl.api.client import Client
from gsctl.model import Resource
from gsctl.reconcile.changes import Change, Usage
from gsctl.reconcile.usage import read_usage

Answer = Callable[[str, dict[str, Any]], tuple[int, Any]]


class Stub:
    """A tiny HTTP server: ``answer(path, body) -> (status, json)``; records every POST."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.posts: list[tuple[str, dict[str, Any]]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.posts.append((self.path, body))
                status, payload = stub.answer(self.path, body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def stub() -> Iterator[Callable[[Answer], tuple[Stub, Client]]]:
    made: list[tuple[Stub, Client]] = []

    def make(answer: Answer) -> tuple[Stub, Client]:
        server = Stub(answer)
        client = Client(server.url, "k", 1, rate_limit=None, backoff_base=0.0, backoff_cap=0.0)
        made.append((server, client))
        return server, client

    yield make
    for server, client in made:
        client.close()
        server.server.shutdown()


def delete(kind: str, uuid: str, **fields: Any) -> Change:
    live = Resource(kind, str(fields.get("name")), (uuid,), fields, uuid=uuid)
    return Change("delete", kind, live.name, uuid, live=live)


def tag_uuids(n: int) -> list[str]:
    return [f"00000000-0000-4000-8000-{i:012}" for i in range(n)]


@pytest.mark.parametrize(
    "shape",
    [
        lambda rows: {"data": rows},
        lambda rows: rows,
        lambda rows: {r["uuid"]: {k: v for k, v in r.items() if k != "uuid"} for r in rows},
        lambda rows: {"data": {r["uuid"]: r for r in rows}},
    ],
    ids=["data-list", "bare-array", "keyed-by-uuid", "data-keyed"],
)
def test_every_evidenced_answer_shape_is_read(stub, shape: Callable[[list[Any]], Any]) -> None:
    a, b = tag_uuids(2)

    def answer(path: str, body: dict[str, Any]) -> tuple[int, Any]:
        rows = [
            {"uuid": b, "leads_count": 0, "companies_count": 0},
            {"uuid": a, "leads_count": 1243, "companies_count": 12},
        ]
        return 200, shape(rows)

    server, client = stub(answer)
    got = read_usage(client, [delete("tag", a, name="Cold"), delete("tag", b, name="Warm")])
    assert got[("tag", a)] == Usage({"contacts": 1243, "companies": 12})
    assert got[("tag", b)] == Usage({"contacts": 0, "companies": 0})
    assert not got[("tag", b)].in_use and got[("tag", a)].in_use
    assert server.posts == [
        (
            "/leads/api/tags/metrics",
            {"uuids": [a, b], "metrics": ["leads_count", "companies_count"]},
        )
    ]


def test_metrics_are_batched_by_100(stub) -> None:
    def answer(path: str, body: dict[str, Any]) -> tuple[int, Any]:
        rows = [{"uuid": u, "leads_count": 1, "in_progress_count": 0} for u in body["uuids"]]
        return 200, {"data": rows}

    server, client = stub(answer)
    uuids = tag_uuids(250)
    got = read_usage(client, [delete("flow", u, name=u) for u in uuids])
    assert [len(body["uuids"]) for _, body in server.posts] == [100, 100, 50]
    assert {path for path, _ in server.posts} == {"/flows/api/flows/metrics"}
    assert got[("flow", uuids[249])] == Usage({"contacts": 1, "in_progress": 0})


def test_stages_are_counted_one_search_each_and_company_stages_are_unknown(stub) -> None:
    counts = {"s1": 4, "s2": 0}

    def answer(path: str, body: dict[str, Any]) -> tuple[int, Any]:
        uuid = body["filter"]["pipeline_stage_uuid"]
        return 200, {"data": [], "limit": 1, "offset": 0, "total": counts[uuid]}

    server, client = stub(answer)
    changes = [
        delete("pipeline_stage", "s1", name="A", object="lead"),
        delete("pipeline_stage", "s2", name="B", object="lead"),
        delete("pipeline_stage", "s3", name="C", object="company"),
    ]
    got = read_usage(client, changes)
    assert [body for _, body in server.posts] == [
        {"filter": {"pipeline_stage_uuid": "s1"}, "limit": 1},
        {"filter": {"pipeline_stage_uuid": "s2"}, "limit": 1},
    ]
    assert got[("pipeline_stage", "s1")] == Usage({"contacts": 4})
    assert got[("pipeline_stage", "s2")] == Usage({"contacts": 0})
    assert got[("pipeline_stage", "s3")].counts is None


@pytest.mark.parametrize(
    ("status", "payload", "reason"),
    [
        (500, {"message": "boom"}, "500"),
        (404, {"message": "no such route"}, "404"),
        (200, "ok", "expected {data"),
        (
            200,
            {"data": [{"uuid": "U", "leads_count": "many", "companies_count": 1}]},
            "leads_count",
        ),
        (200, {"data": []}, "no entry"),
    ],
    ids=["server-error", "missing", "not-a-list", "bad-count", "no-entry"],
)
def test_an_unreadable_or_failing_endpoint_gives_usage_unknown(
    stub, status: int, payload: Any, reason: str
) -> None:
    server, client = stub(lambda path, body: (status, payload))
    got = read_usage(client, [delete("tag", "U", name="Cold")])
    usage = got[("tag", "U")]
    assert usage.counts is None and not usage.in_use
    assert reason in usage.reason
    assert usage.text("tag") == "usage unknown"
    assert len(server.posts) <= 2  # at most one retry: usage never holds the plan up


def test_only_deletes_and_replaces_are_counted_and_other_kinds_are_unknown(stub) -> None:
    server, client = stub(lambda path, body: (200, {"data": []}))
    update = Change("update", "tag", "Warm", "u1")
    got = read_usage(client, [update, delete("webhook", "w1", name="Hook")])
    assert server.posts == []
    assert got == {("webhook", "w1"): Usage(None, "the API has no usage count for webhook")}


def test_usage_wording() -> None:
    assert (
        Usage({"contacts": 1243, "companies": 12}).text("tag") == "on 1,243 contacts, 12 companies"
    )
    assert Usage({"contacts": 1, "companies": 1}).text("tag") == "on 1 contact, 1 company"
    assert (
        Usage({"contacts": 40, "in_progress": 3}).text("flow")
        == "40 contacts in the flow, 3 in progress"
    )
    assert Usage({"contacts": 0}).text("pipeline_stage") == "0 contacts in the stage"
    assert Usage(None, "x").to_dict() == {"unknown": True, "reason": "x"}


def test_rate_limited_usage_reads_wait_instead_of_giving_up(stub) -> None:
    # Unknown usage is not gated, so a 429 must not turn into "usage unknown".
    answers = iter([(429, {"message": "slow down"})] * 3)

    def answer(path: str, body: dict[str, Any]) -> tuple[int, Any]:
        row = {"uuid": "U", "leads_count": 2, "companies_count": 0}
        return next(answers, (200, {"data": [row]}))

    server, client = stub(answer)
    got = read_usage(client, [delete("tag", "U", name="Cold")])
    assert got[("tag", "U")] == Usage({"contacts": 2, "companies": 0})
    assert len(server.posts) == 4


def test_flow_metrics_fall_back_to_flow_uuids_when_uuids_is_refused(stub) -> None:
    def answer(path: str, body: dict[str, Any]) -> tuple[int, Any]:
        if "flow_uuids" not in body:
            return 422, {"message": "invalid", "data": {"flow_uuids": ["is required"]}}
        return 200, {"data": [{"uuid": "F", "leads_count": 7, "in_progress_count": 2}]}

    server, client = stub(answer)
    got = read_usage(client, [delete("flow", "F", name="Nurture")])
    assert got[("flow", "F")] == Usage({"contacts": 7, "in_progress": 2})
    assert [body for _, body in server.posts] == [{"uuids": ["F"]}, {"flow_uuids": ["F"]}]
