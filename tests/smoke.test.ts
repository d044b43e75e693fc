/**
 * The promotion gate's smoke check against a stand-in hub: a node http server answering the JupyterHub REST
 * API calls the script makes, as JupyterHub 5 answers them (jupyterhub/apihandlers/users.py: POST
 * /users/:name 201, POST /users/:name/server 201 started or 202 pending, DELETE 204 stopped or 202
 * stopping; a stopped server leaves `servers`).
 */
import * as assert from "assert";
import * as http from "http";
import { AddressInfo } from "net";
import { hubUrls, smokeHub, smokeStack, smokeTokens } from "../scripts/smoke";

interface StandIn {
    healthStatus: number;
    /** Polls before the server is ready; "fail": the spawn fails after one poll; "never": stays pending. */
    spawn: number | "fail" | "never";
    /** Delay of every answer (ms). */
    delayMs: number;
    log: string[];
}

function standIn(state: StandIn): Promise<{ url: string; close: () => Promise<void> }> {
    let userExists = false;
    let polls = 0;
    let running = false;
    const server = http.createServer((req, res): void => {
        state.log.push(`${req.method} ${req.url}${req.headers.authorization ? " (token)" : ""}`);
        const send = (status: number, body?: unknown): void => void setTimeout(() => {
            res.writeHead(status, { "content-type": "application/json" });
            res.end(body === undefined ? "" : JSON.stringify(body));
        }, state.delayMs);
        if (req.url === "/hub/health") return send(state.healthStatus);
        if (req.headers.authorization !== "token secret-token") return send(403, { message: "Forbidden" });
        if (req.url === "/hub/api/users/smoke-test") {
            if (req.method === "POST") { userExists = true; return send(201, { name: "smoke-test" }); }
            if (!userExists) return send(404, { message: "No such user" });
            polls++;
            const failed = state.spawn === "fail" && polls > 2;
            const ready = typeof state.spawn === "number" && polls > state.spawn;
            if (failed) running = false;
            return send(200, { name: "smoke-test", servers: running ? { "": { ready, pending: ready ? null : "spawn" } } : {} });
        }
        if (req.url === "/hub/api/users/smoke-test/server") {
            if (req.method === "POST") { running = true; polls = 0; return send(202); }
            if (req.method === "DELETE") { const was = running; running = false; return send(was ? 204 : 400, was ? undefined : { message: "not running" }); }
        }
        return send(404, { message: "not found" });
    });
    return new Promise(resolve => server.listen(0, "127.0.0.1", () => resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise<void>(done => { server.closeAllConnections(); server.close(() => done()); }),
    })));
}

describe("smoke check (scripts/smoke.ts) against a stand-in hub", () => {
    const options = { user: "smoke-test", timeoutMs: 2000, pollMs: 10 };
    let state: StandIn;
    let hub: { url: string; close: () => Promise<void> };

    beforeEach(async () => {
        state = { healthStatus: 200, spawn: 2, delayMs: 0, log: [] };
        hub = await standIn(state);
    });
    afterEach(() => hub.close());

    it("passes a healthy hub and skips the spawn without a token", async () => {
        const result = await smokeHub("staging", hub.url, options);
        assert.deepStrictEqual([result.ok, result.detail], [true, "healthy (no test-user token: spawn skipped)"]);
        assert.deepStrictEqual(state.log, ["GET /hub/health"]);
    });

    it("fails an unhealthy hub", async () => {
        state.healthStatus = 503;
        const result = await smokeHub("staging", hub.url, { ...options, token: "secret-token" });
        assert.deepStrictEqual([result.ok, result.detail], [false, "GET /hub/health answered 503"]);
        assert.deepStrictEqual(state.log, ["GET /hub/health"]);
    });

    it("creates the test user, starts its server, waits until ready and stops it", async () => {
        const result = await smokeHub("staging", hub.url, { ...options, token: "secret-token" });
        assert.ok(result.ok, result.detail);
        assert.deepStrictEqual(state.log, [
            "GET /hub/health", "GET /hub/api/users/smoke-test (token)", "POST /hub/api/users/smoke-test (token)",
            "POST /hub/api/users/smoke-test/server (token)", "GET /hub/api/users/smoke-test (token)", "GET /hub/api/users/smoke-test (token)",
            "GET /hub/api/users/smoke-test (token)", "DELETE /hub/api/users/smoke-test/server (token)",
        ]);
    });

    it("fails a spawn that stops before the server is ready, and still stops it", async () => {
        state.spawn = "fail";
        const result = await smokeHub("staging", hub.url, { ...options, token: "secret-token" });
        assert.deepStrictEqual([result.ok, result.detail],
            [false, "the server stopped before it became ready (see the hub's log for the spawn error)"]);
        assert.strictEqual(state.log.at(-1), "DELETE /hub/api/users/smoke-test/server (token)");
    });

    it("fails a server that never becomes ready within the timeout, and stops it", async () => {
        state.spawn = "never";
        const result = await smokeHub("staging", hub.url, { ...options, timeoutMs: 200, token: "secret-token" });
        assert.deepStrictEqual([result.ok, result.detail], [false, "the server was not ready within 200 ms"]);
        assert.strictEqual(state.log.at(-1), "DELETE /hub/api/users/smoke-test/server (token)");
    });

    it("fails a hub that does not answer within the timeout", async () => {
        state.delayMs = 500;
        const result = await smokeHub("staging", hub.url, { ...options, timeoutMs: 100 });
        assert.deepStrictEqual([result.ok, result.detail], [false, `GET ${hub.url}/hub/health: no answer within 100 ms`]);
    });

    it("fails a rejected token", async () => {
        const result = await smokeHub("staging", hub.url, { ...options, token: "wrong" });
        assert.deepStrictEqual([result.ok, result.detail], [false, "reading user smoke-test answered 403: Forbidden"]);
    });

    it("reads hub URLs from the stack outputs and tokens from JUPYTERHUB_SMOKE_TOKENS, and fails hubs without a URL", async () => {
        const urls = hubUrls({ hubs: {
            b: { url: hub.url },
            a: { url: "kubectl -n a port-forward svc/proxy-public 8080:80, then http://localhost:8080" },
        } });
        assert.deepStrictEqual(Object.keys(urls), ["a", "b"]);
        const results = await smokeStack(urls, smokeTokens({ JUPYTERHUB_SMOKE_TOKENS: '{"b": "secret-token"}' }), options);
        assert.deepStrictEqual(results.map(r => [r.hub, r.ok, r.detail.startsWith("healthy; smoke-test's server ready")]),
            [["a", false, false], ["b", true, true]]);
        assert.deepStrictEqual(smokeTokens({}), {});
        assert.throws(() => smokeTokens({ JUPYTERHUB_SMOKE_TOKENS: '["x"]' }), /JSON object of hub key -> API token/);
        assert.throws(() => hubUrls({}), /no hubs output/);
    });
});
