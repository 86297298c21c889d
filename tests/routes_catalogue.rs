//! The route catalogue (issue 12): `GET /_ccemu/routes` lists every route from the vendors' own
//! routing tables, and a 404 under a vendor prefix names the nearest one.
mod common;
use common::*;

#[test]
fn the_catalogue_lists_every_served_route_with_its_operation_and_document() {
    let emu = start();
    let r = admin(&emu, "GET", "/routes", None);
    assert_eq!(r.status, 200, "{}", r.text);
    let routes = r.json["routes"].as_array().unwrap();
    let count = |v: &str| routes.iter().filter(|r| r["vendor"] == v).count();
    assert_eq!(
        (count("udesk"), count("nxcloud"), count("huawei")),
        (26, 7, 11)
    );
    for route in routes {
        for field in ["vendor", "method", "path", "operation", "doc"] {
            assert!(
                route[field].as_str().is_some_and(|s| !s.is_empty()),
                "{field} in {route}"
            );
        }
        // Every listed route is served: unsigned, it is refused by auth, never a 404/405.
        let path = route["path"]
            .as_str()
            .unwrap()
            .replace("{id}", "1")
            .replace("{queue_id}", "1");
        let method = route["method"].as_str().unwrap();
        let resp = send(method, &format!("{}{path}", emu.url()), &[], Some(b"{}"));
        assert!(
            resp.status != 404 && resp.status != 405,
            "{method} {path}: {}",
            resp.text
        );
    }
    let create = routes
        .iter()
        .find(|r| r["operation"] == "createAgent")
        .unwrap();
    assert_eq!(create["method"], "POST");
    assert_eq!(create["path"], "/ccapi/v2/agents");
    assert!(create["doc"].as_str().unwrap().contains("04. Create Agent"));
}

#[test]
fn an_unknown_path_names_the_nearest_route_for_every_vendor() {
    let emu = start();
    let cases = [
        (
            "GET",
            "/ccapi/v2/agent",
            "GET /ccapi/v2/agents (getAgentList)",
        ),
        (
            "POST",
            "/saas/cc/openapi/agentGroup/member/lists",
            "POST /saas/cc/openapi/agentGroup/member/list (agentGroup/member/list)",
        ),
        (
            "GET",
            "/apiaccess/CC-Managemant/v1/queryAgentInfo",
            "(queryAgentInfo)",
        ),
    ];
    for (method, path, nearest) in cases {
        let r = send(method, &format!("{}{path}", emu.url()), &[], Some(b"{}"));
        assert_eq!(r.status, 404, "{path}: {}", r.text);
        let detail = r.header("x-ccemu-detail").unwrap_or_default();
        assert!(detail.contains(nearest), "{path}: {detail}");
        assert!(detail.contains("GET /_ccemu/routes"), "{detail}");
    }
    let r = send(
        "GET",
        &format!("{}/ccapi/v2/queues/agents", emu.url()),
        &[],
        None,
    );
    assert_eq!(r.status, 405, "{}", r.text);
    assert!(r
        .header("x-ccemu-detail")
        .is_some_and(|d| d.contains("it takes POST (batchAddAgentsToQueue)")));
}
