"""Drives one simulated call through ccemu's admin API with a client generated from
GET /_ccemu/openapi/admin.json by openapi-python-client (docs/contract.md): freezes the virtual
clock, puts an agent on line, starts an inbound call into a queue, moves the clock past the
call's talk time and reads the call back in its finished state.

    python3 drive_call.py CLIENT_DIR BASE_URL TENANT QUEUE AGENT

CLIENT_DIR holds the generated package `ccemu_admin` (config.yml beside this script). Prints the
finished call as one JSON line; exits non-zero when an answer is not the documented type.
"""

import json
import sys


def main() -> int:
    client_dir, base_url, tenant, queue, agent = sys.argv[1:6]
    sys.path.insert(0, client_dir)
    from ccemu_admin import Client
    from ccemu_admin.api.default import get_calls_id, post_agent_state, post_calls, post_clock
    from ccemu_admin.models import (
        AgentStateSet,
        Call,
        CallAnswer,
        ClockView,
        PostAgentStateBody,
        PostClockBody,
    )

    client = Client(base_url=base_url, raise_on_unexpected_status=True)

    def want(kind, value, what):
        if not isinstance(value, kind):
            raise SystemExit(f"{what}: expected {kind.__name__}, got {value!r}")
        return value

    clock = want(
        ClockView,
        post_clock.sync(client=client, body=PostClockBody(frozen=True, now_ms=1_800_000_000_000)),
        "POST /_ccemu/clock",
    )
    assert clock.frozen and clock.now_ms == 1_800_000_000_000, clock
    want(
        AgentStateSet,
        post_agent_state.sync(
            client=client, body=PostAgentStateBody(tenant=tenant, agent=agent, state="idle")
        ),
        "POST /_ccemu/agent-state",
    )
    # The call body is a union in the schema (inbound or outbound); a plain object is one.
    started = want(
        CallAnswer,
        post_calls.sync(
            client=client,
            body={"tenant": tenant, "queue": queue, "talk_ms": 30_000, "order_id": "generated-client"},
        ),
        "POST /_ccemu/calls",
    )
    call_id = started.id
    moved = want(
        ClockView,
        post_clock.sync(client=client, body=PostClockBody(advance_ms=120_000)),
        "POST /_ccemu/clock",
    )
    call = want(Call, get_calls_id.sync(call_id, client=client), "GET /_ccemu/calls/{id}")

    def spelled(v):
        return getattr(v, "value", v)

    print(
        json.dumps(
            {
                "id": call.id,
                "started_state": spelled(started.call.state),
                "state": spelled(call.state),
                "outcome": spelled(call.outcome),
                "agent": call.agent,
                "order_id": call.order_id,
                "answer_ms": call.answer_ms,
                "end_ms": call.end_ms,
                "now_ms": moved.now_ms,
                "steps": [s.name for s in call.steps],
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
