"""The test vectors of docs/protocol.md, decoded and re-encoded by this client's framing code.

The expected frames below are built by hand from the doc's meaning table, independently of the hex, so a mismatch
means the doc, the generated code or the framing disagree. The set of names must match the doc exactly: adding a
vector to the doc without adding its meaning here (or the reverse) fails the suite.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from aigw.v1 import admin_pb2, debug_pb2, frame_pb2
from aigw.v1.frame_pb2 import (
    Cancel,
    ErrorDetail,
    Frame,
    GoAway,
    Hello,
    HelloAck,
    Metadata,
    Ping,
    Pong,
    Request,
    Response,
    Status,
    StreamItem,
)
from aigw_client import (
    DEFAULT_MAX_FRAME_BYTES,
    FrameReader,
    FrameTooLargeError,
    MalformedEnvelopeError,
    encode_frame,
)

PROTOCOL_MD = Path(__file__).resolve().parent / ".." / ".." / ".." / "docs" / "protocol.md"


def load_vectors() -> List[Tuple[str, str]]:
    """The (name, hex) lines of the ```vectors block, in document order."""
    text = PROTOCOL_MD.read_text(encoding="utf-8")
    blocks = re.findall(r"^```vectors[ \t]*\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)
    assert len(blocks) == 1, f"expected exactly one ```vectors block in {PROTOCOL_MD}, found {len(blocks)}"
    vectors: List[Tuple[str, str]] = []
    for line in blocks[0].splitlines():
        if not line.strip():
            continue
        fields = line.split()
        assert len(fields) == 2, f"malformed vector line: {line!r}"
        vectors.append((fields[0], fields[1]))
    names = [name for name, _ in vectors]
    assert len(names) == len(set(names)), f"duplicate vector names: {names}"
    return vectors


def expected_frames() -> Dict[str, Frame]:
    """The frames the doc's meaning table describes, one per vector name."""
    return {
        "hello": Frame(call_id=0, hello=Hello(min_version=1, max_version=1, client_name="aigwctl")),
        "hello_ack": Frame(
            call_id=0,
            hello_ack=HelloAck(version=1, server_version="0.1.0", max_frame_bytes=4194304, max_concurrent_calls=1024),
        ),
        "request_health": Frame(
            call_id=1,
            request=Request(
                method="/aigw.v1.Admin/Health",
                payload=b"",
                metadata=Metadata(request_id="r-1", timeout_ms=5000),
            ),
        ),
        "response_health": Frame(
            call_id=1,
            response=Response(
                payload=admin_pb2.HealthResponse(status=admin_pb2.SERVING_STATUS_SERVING).SerializeToString()
            ),
        ),
        "status_unimplemented": Frame(
            call_id=7, status=Status(code=frame_pb2.STATUS_CODE_UNIMPLEMENTED, message="unknown method")
        ),
        "stream_item_tick": Frame(
            call_id=3, stream_item=StreamItem(payload=debug_pb2.Tick(index=2).SerializeToString())
        ),
        "status_ok": Frame(call_id=3, status=Status()),
        "cancel": Frame(call_id=3, cancel=Cancel()),
        "ping": Frame(call_id=0, ping=Ping(nonce=42)),
        "pong": Frame(call_id=0, pong=Pong(nonce=42)),
        "go_away": Frame(call_id=0, go_away=GoAway(last_call_id=9, reason="draining")),
        "error_frame_too_large": Frame(
            call_id=0,
            status=Status(
                code=frame_pb2.STATUS_CODE_RESOURCE_EXHAUSTED,
                message="frame too large",
                detail=ErrorDetail(reason="frame_too_large"),
            ),
        ),
    }


VECTORS = load_vectors()
EXPECTED = expected_frames()


def test_every_vector_has_an_expected_frame_and_vice_versa() -> None:
    in_doc = {name for name, _ in VECTORS}
    in_test = set(EXPECTED)
    missing_here = sorted(in_doc - in_test)
    missing_in_doc = sorted(in_test - in_doc)
    assert not missing_here, f"vectors in protocol.md without an expected frame in this test: {missing_here}"
    assert not missing_in_doc, f"expected frames in this test without a vector in protocol.md: {missing_in_doc}"


def test_payloads_match_the_doc() -> None:
    # The meaning table spells out these payload bytes; check them too, so the hand-built messages are the doc's.
    assert EXPECTED["response_health"].response.payload == bytes.fromhex("0801")
    assert EXPECTED["stream_item_tick"].stream_item.payload == bytes.fromhex("0802")


@pytest.mark.parametrize("name,hex_bytes", VECTORS, ids=[name for name, _ in VECTORS])
def test_vector(name: str, hex_bytes: str) -> None:
    wire = bytes.fromhex(hex_bytes)
    expected = EXPECTED.get(name)
    assert expected is not None, f"vector {name!r} has no expected frame in this test"

    (length,) = struct.unpack(">I", wire[:4])
    assert length == len(wire) - 4, f"{name}: prefix says {length} bytes, vector carries {len(wire) - 4}"

    frames = FrameReader().feed(wire)
    assert len(frames) == 1, f"{name}: decoded {len(frames)} frames"
    decoded = frames[0]
    assert decoded == expected, f"{name}: decoded\n{decoded}\nexpected\n{expected}"
    assert decoded.WhichOneof("kind") == expected.WhichOneof("kind")

    assert encode_frame(expected) == wire, f"{name}: encode_frame gave {encode_frame(expected).hex()}"


def test_one_byte_at_a_time() -> None:
    stream = b"".join(bytes.fromhex(h) for _, h in VECTORS)
    reader = FrameReader()
    decoded: List[Frame] = []
    for i in range(len(stream)):
        decoded.extend(reader.feed(stream[i : i + 1]))
    assert decoded == [EXPECTED[name] for name, _ in VECTORS]
    assert reader.buffered == 0


def test_all_frames_in_one_chunk() -> None:
    stream = b"".join(bytes.fromhex(h) for _, h in VECTORS)
    reader = FrameReader()
    assert reader.feed(stream) == [EXPECTED[name] for name, _ in VECTORS]
    assert reader.buffered == 0


def test_partial_frame_is_kept_until_complete() -> None:
    wire = bytes.fromhex(dict(VECTORS)["request_health"])
    reader = FrameReader()
    assert reader.feed(wire[:3]) == []
    assert reader.feed(wire[3:10]) == []
    assert reader.buffered == 10
    assert reader.feed(wire[10:] + wire[:5]) == [EXPECTED["request_health"]]
    assert reader.buffered == 5


def test_empty_envelope_is_a_frame_without_kind() -> None:
    # N = 0 is valid on the wire (docs: "a valid, empty Frame"); rejecting it is the server's business.
    (frame,) = FrameReader().feed(b"\x00\x00\x00\x00")
    assert frame == Frame()
    assert frame.WhichOneof("kind") is None


def test_oversize_prefix_raises_before_the_body_arrives() -> None:
    reader = FrameReader()
    prefix = struct.pack(">I", DEFAULT_MAX_FRAME_BYTES + 1)
    with pytest.raises(FrameTooLargeError) as info:
        reader.feed(prefix)  # only the prefix: the limit is enforced before buffering the body
    assert info.value.length == DEFAULT_MAX_FRAME_BYTES + 1
    assert info.value.limit == DEFAULT_MAX_FRAME_BYTES
    # The stream cannot be resynchronised, so the reader stays failed.
    with pytest.raises(FrameTooLargeError):
        reader.feed(bytes.fromhex(dict(VECTORS)["ping"]))


def test_frame_at_the_limit_is_accepted_and_one_above_is_not() -> None:
    reader = FrameReader(max_frame_bytes=16)
    body = Frame(call_id=1, response=Response(payload=b"x" * 10)).SerializeToString()
    assert len(body) == 16
    assert len(reader.feed(struct.pack(">I", 16) + body)) == 1
    with pytest.raises(FrameTooLargeError):
        FrameReader(max_frame_bytes=15).feed(struct.pack(">I", 16))


def test_malformed_envelope_raises() -> None:
    reader = FrameReader()
    with pytest.raises(MalformedEnvelopeError):
        reader.feed(b"\x00\x00\x00\x02\xff\xff")
    with pytest.raises(MalformedEnvelopeError):
        reader.feed(b"")
