/**
 * The promotion gate: after `up` on a stack, every hub with a URL must answer its health check, and every
 * hub with a test-user token must start a user server and stop it again. The deploy workflow runs it on
 * staging before prod is offered for approval; `npm run smoke -- --stack <stack>` runs it by hand.
 *
 * Hubs come from the stack's outputs (`hubs.<key>.url`, components/fleet.ts); hubs without an http(s) URL
 * (no domain and no load balancer yet) fail the check. A hub allows a test user when the environment
 * variable `JUPYTERHUB_SMOKE_TOKENS` (JSON: hub key -> token) holds a JupyterHub API token for it, of an
 * admin (scopes `admin:users` and `servers` suffice), kept as a secret of the GitHub environment.
 * The test user (`smoke-test` unless `--user`) is created if missing; its server is stopped whatever happens.
 *
 * Exit codes: 0 every check passed, 1 a check failed, 2 usage or outputs unreadable.
 */
import { execFileSync } from "child_process";

/** JupyterHub's unauthenticated health endpoint (jupyterhub/handlers/pages.py HealthCheckHandler; z2jh's hub probes use it). */
export const HEALTH_PATH = "/hub/health";
export const DEFAULT_USER = "smoke-test";

export interface SmokeOptions {
    /** Admin API token: without one only the health check runs. */
    readonly token?: string;
    readonly user: string;
    /** How long a server may take to become ready, and any single request to answer. */
    readonly timeoutMs: number;
    readonly pollMs: number;
}

export interface HubResult {
    readonly hub: string;
    readonly ok: boolean;
    /** What was checked, or why it failed. */
    readonly detail: string;
}

class SmokeFailure extends Error {}

async function request(url: string, options: { method?: string; token?: string; timeoutMs: number }): Promise<{ status: number; body: any }> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), options.timeoutMs);
    try {
        const response = await fetch(url, {
            method: options.method ?? "GET",
            headers: options.token ? { Authorization: `token ${options.token}` } : {},
            signal: controller.signal,
            redirect: "manual",
        });
        const text = await response.text();
        let body: any = text;
        try { body = text ? JSON.parse(text) : undefined; } catch { /* health answers plain text */ }
        return { status: response.status, body };
    } catch (error) {
        if (controller.signal.aborted) throw new SmokeFailure(`${options.method ?? "GET"} ${url}: no answer within ${options.timeoutMs} ms`);
        throw new SmokeFailure(`${options.method ?? "GET"} ${url}: ${(error as Error).message}`);
    } finally {
        clearTimeout(timer);
    }
}

function expectStatus(what: string, status: number, allowed: readonly number[], body: unknown): void {
    if (!allowed.includes(status)) {
        const message = typeof body === "object" && body && "message" in body ? `: ${(body as { message: string }).message}` : "";
        throw new SmokeFailure(`${what} answered ${status}${message}`);
    }
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** Starts the test user's default server, waits until it is ready, and stops it (also when starting failed). */
async function spawnOnce(base: string, options: SmokeOptions & { token: string }): Promise<number> {
    const api = `${base}/hub/api/users/${encodeURIComponent(options.user)}`;
    const call = (path: string, method?: string) => request(`${api}${path}`, { method, token: options.token, timeoutMs: options.timeoutMs });
    const user = await call("");
    if (user.status === 404) {
        const created = await call("", "POST");
        expectStatus(`creating user ${options.user}`, created.status, [201], created.body);
    } else {
        expectStatus(`reading user ${options.user}`, user.status, [200], user.body);
    }
    const started = Date.now();
    try {
        const spawn = await call("/server", "POST");
        // 201: started; 202: pending; 400 "already running" is a leftover of an earlier run, stopped below.
        expectStatus("starting the server", spawn.status, [201, 202], spawn.body);
        for (;;) {
            const state = await call("");
            expectStatus(`reading user ${options.user}`, state.status, [200], state.body);
            const server = state.body?.servers?.[""];
            if (server?.ready) return Date.now() - started;
            // A stopped server leaves the user's `servers`: the spawn failed.
            if (!server) throw new SmokeFailure("the server stopped before it became ready (see the hub's log for the spawn error)");
            if (Date.now() - started > options.timeoutMs) {
                throw new SmokeFailure(`the server was not ready within ${options.timeoutMs} ms`);
            }
            await sleep(options.pollMs);
        }
    } finally {
        const stop = await call("/server", "DELETE");
        // 204: stopped; 202: stopping; 400: not running.
        expectStatus("stopping the server", stop.status, [202, 204, 400], stop.body);
    }
}

/** Checks one hub at `url` (its public base URL). */
export async function smokeHub(hub: string, url: string, options: SmokeOptions): Promise<HubResult> {
    const base = url.replace(/\/+$/, "");
    try {
        const health = await request(`${base}${HEALTH_PATH}`, { timeoutMs: options.timeoutMs });
        expectStatus(`GET ${HEALTH_PATH}`, health.status, [200], health.body);
        if (!options.token) return { hub, ok: true, detail: "healthy (no test-user token: spawn skipped)" };
        const ms = await spawnOnce(base, { ...options, token: options.token });
        return { hub, ok: true, detail: `healthy; ${options.user}'s server ready in ${Math.round(ms / 1000)} s and stopped` };
    } catch (error) {
        if (error instanceof SmokeFailure) return { hub, ok: false, detail: error.message };
        throw error;
    }
}

/** The environment variable holding the test-user tokens. */
export const TOKENS_VARIABLE = "JUPYTERHUB_SMOKE_TOKENS";

/** Hub key -> token from `JUPYTERHUB_SMOKE_TOKENS`; none when unset. */
export function smokeTokens(env: NodeJS.ProcessEnv): Record<string, string> {
    const raw = env[TOKENS_VARIABLE];
    if (!raw) return {};
    let parsed: unknown;
    try { parsed = JSON.parse(raw); } catch { parsed = undefined; }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed) || Object.values(parsed).some(v => typeof v !== "string")) {
        throw new Error(`${TOKENS_VARIABLE} must be a JSON object of hub key -> API token, such as {"staging": "…"}`);
    }
    return parsed as Record<string, string>;
}

/** Hub key -> URL from `pulumi stack output --json`; hubs without an http(s) URL map to undefined. */
export function hubUrls(outputs: any): Record<string, string | undefined> {
    const hubs = outputs?.hubs;
    if (!hubs || typeof hubs !== "object") throw new Error("the stack has no hubs output (has it been deployed with this program?)");
    return Object.fromEntries(Object.entries(hubs as Record<string, { url?: string }>).sort(([a], [b]) => a.localeCompare(b))
        .map(([key, hub]) => [key, typeof hub?.url === "string" && /^https?:\/\//.test(hub.url) ? hub.url : undefined]));
}

/** Runs every hub's check; resolves to the results, in hub order. */
export async function smokeStack(urls: Record<string, string | undefined>, tokens: Readonly<Record<string, string>>,
    options: Omit<SmokeOptions, "token">): Promise<HubResult[]> {
    const results: HubResult[] = [];
    for (const [hub, url] of Object.entries(urls)) {
        if (!url) {
            results.push({ hub, ok: false, detail: "no http(s) URL in the stack outputs (no domain, and no load balancer address)" });
            continue;
        }
        results.push(await smokeHub(hub, url, { ...options, token: tokens[hub] || undefined }));
    }
    return results;
}

function parseArgs(argv: readonly string[]): { stack: string; user: string; timeoutMs: number } {
    const args = { stack: "", user: DEFAULT_USER, timeoutMs: 600_000 };
    for (let i = 0; i < argv.length; i++) {
        const value = argv[i + 1];
        switch (argv[i]) {
            case "--stack": args.stack = value; i++; break;
            case "--user": args.user = value; i++; break;
            case "--timeout": args.timeoutMs = Number(value) * 1000; i++; break;
            default: throw new Error(`unknown argument ${argv[i]} (usage: npm run smoke -- --stack <stack> [--user smoke-test] [--timeout seconds])`);
        }
    }
    if (!args.stack) throw new Error("--stack is required (usage: npm run smoke -- --stack <stack>)");
    if (!Number.isFinite(args.timeoutMs) || args.timeoutMs <= 0) throw new Error("--timeout takes a number of seconds");
    return args;
}

async function main(): Promise<number> {
    let args: ReturnType<typeof parseArgs>;
    let urls: Record<string, string | undefined>;
    let tokens: Record<string, string>;
    try {
        tokens = smokeTokens(process.env);
        args = parseArgs(process.argv.slice(2));
        // --show-secrets: outputs holding a secret anywhere come back as "[secret]" otherwise.
        const outputs = execFileSync("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", args.stack], { encoding: "utf8" });
        urls = hubUrls(JSON.parse(outputs));
    } catch (error) {
        console.error(`smoke: ${(error as Error).message}`);
        return 2;
    }
    const results = await smokeStack(urls, tokens, { user: args.user, timeoutMs: args.timeoutMs, pollMs: 5000 });
    for (const result of results) console.log(`${result.ok ? "ok  " : "FAIL"} ${result.hub}: ${result.detail}`);
    const failed = results.filter(r => !r.ok).length;
    console.log(`${results.length - failed} passed, ${failed} failed`);
    return failed === 0 ? 0 : 1;
}

if (require.main === module) {
    main().then(code => process.exit(code));
}
