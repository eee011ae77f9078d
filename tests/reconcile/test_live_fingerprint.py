"""The live fingerprint is hashed object by object: the same value as hashing the whole list."""

from __future__ import annotations

import hashlib

from gsctl.reconcile.live import LiveState


def test_fingerprint_is_the_hash_of_the_sorted_objects_as_one_json_text() -> None:
    tags = [{"uuid": "b", "name": "Zeta", "color": None}, {"uuid": "a", "name": "Été"}]
    state = LiveState(raw={"tag": tags, "webhook": []})
    expected = hashlib.sha256()
    expected.update(b"tag")
    expected.update(b'[{"name": "\\u00c9t\\u00e9", "uuid": "a"}, ')
    expected.update(b'{"color": null, "name": "Zeta", "uuid": "b"}]')
    expected.update(b"webhook[]")
    assert state.fingerprint(["webhook", "tag"]) == "sha256:" + expected.hexdigest()
