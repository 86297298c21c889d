#!/usr/bin/env python3
"""Writes a large fixture for bench/run.sh: the default fixture plus big tenants.

usage: gen_fixture.py DEFAULT_JSON OUT_JSON UDESK_AGENTS [NX_AGENTS HUAWEI_AGENTS]

- Udesk app "bench-udesk" (Sid bench-sid, AuthToken bench-token): UDESK_AGENTS agents in
  UDESK_AGENTS/100 queues (9000...), 100 agents each, every agent in one queue.
- NXCloud tenant 900 (accessKey bench-ak, secret bench-secret): NX_AGENTS agents with SIP numbers
  in 1000 groups.
- Huawei space "bench-huawei" (app bench-hw-ak / bench-hw-sk): HUAWEI_AGENTS agents with workNos
  from 101 and business accounts, in 1000 skills; the first 200 agents are also in skill 1001, so
  that one skill has members enough for a page of 100.
"""
import json
import sys

default, out, n_udesk = sys.argv[1], sys.argv[2], int(sys.argv[3])
n_nx = int(sys.argv[4]) if len(sys.argv) > 4 else 0
n_hw = int(sys.argv[5]) if len(sys.argv) > 5 else 0
doc = json.load(open(default))

queues = max(1, n_udesk // 100)
doc["tenants"].append({
    "id": "bench-udesk",
    "name": "bench",
    "credentials": {"vendor": "udesk", "app_id": "bench-udesk", "sid": "bench-sid", "auth_token": "bench-token"},
    "extension_prefix": "9000000001",
    "default_queue": "9000",
    "queues": [{"id": str(9000 + q), "name": f"Queue {q}"} for q in range(queues)],
    "agents": [{
        "id": str(100000 + n), "work_id": f"w{n}", "name": f"Agent {n}", "mobile": f"138{n:08d}",
        "email": f"agent{n}@example.com", "queues": [str(9000 + n % queues)],
    } for n in range(n_udesk)],
})
if n_nx:
    doc["tenants"].append({
        "id": "900",
        "name": "bench-nx",
        "credentials": {"vendor": "nxcloud", "access_key": "bench-ak", "access_secret": "bench-secret"},
        "queues": [{"id": f"G{q:04d}", "name": f"Group {q}"} for q in range(1000)],
        "agents": [{
            "id": f"user{n:06d}", "nick_name": f"Seat {n}", "sip_number": str(80000000 + n),
            "queues": [f"G{n % 1000:04d}"],
        } for n in range(n_nx)],
    })
if n_hw:
    doc["tenants"].append({
        "id": "bench-huawei",
        "name": "bench-hw",
        "credentials": {"vendor": "huawei", "apps": [{"app_key": "bench-hw-ak", "app_secret": "bench-hw-sk"}]},
        "queues": [{"id": str(1 + q), "name": f"Skill {q}"} for q in range(1000)] + [{"id": "1001", "name": "Skill wide"}],
        "agents": [{
            "id": str(101 + n), "name": f"Agent {n}", "account_code": f"acc{n}",
            "sip_number": str(70000000 + n), "queues": [str(1 + n % 1000)] + (["1001"] if n < 200 else []),
        } for n in range(n_hw)],
    })
json.dump(doc, open(out, "w"))
