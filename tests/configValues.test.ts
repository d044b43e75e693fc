/** Raw values cannot silently undo typed config (issue 17). */
import * as assert from "assert";
import { HubSpec, parseFleetConfig, RawFleetConfig } from "../components/config";
import { formatPath } from "../components/config/errors";
import { composeValues } from "../components/z2jhValues";
import { expectExactly, fleetWith, problemsOf } from "./configProblems";
import { awsFleet } from "./fixtures";

describe("config: raw values cannot undo typed fields", () => {
    it("refuses values that set what profiles, auth, image, database, domain and env set, naming the field", () => {
        expectExactly(problemsOf(fleetWith(f => {
            Object.assign(f.hubs.staging, {
                image: { name: "pangeo/pangeo-notebook", tag: "2025.01.10" },
                profiles: { small: { displayName: "Small" } },
                database: { type: "postgres" },
                env: { TZ: "UTC" },
                values: {
                    singleuser: { profileList: [], image: { tag: "latest" }, serviceAccountName: "default", extraEnv: { TZ: "CET", OTHER: "1" } },
                    hub: { db: { type: "sqlite-pvc" }, config: { JupyterHub: { authenticator_class: "dummy" },
                        GitHubOAuthenticator: { allowed_organizations: [], enable_auth_state: true } } },
                    proxy: { https: { hosts: ["other.example.org"], letsencrypt: { acmeServer: "https://acme-staging-v02.api.letsencrypt.org/directory" } } },
                },
            });
            f.hubSecrets.staging.database = { url: "postgresql://u:p@db:5432/hub" };
        })),
        "hubs.staging.values.hub.config.JupyterHub.authenticator_class: would override what the hub's auth.type sets (set auth.type instead and remove this value: raw values are merged last and would silently undo it)",
        "hubs.staging.values.hub.db: would override what the hub's database sets (set database instead and remove this value: raw values are merged last and would silently undo it)",
        "hubs.staging.values.singleuser.image: would override what the hub's image sets (set image instead and remove this value: raw values are merged last and would silently undo it)",
        "hubs.staging.values.singleuser.profileList: would override what the hub's profiles sets (set profiles instead and remove this value: raw values are merged last and would silently undo it)",
        "hubs.staging.values.proxy.https.hosts: would override what the hub's domain sets (set domain instead and remove this value: raw values are merged last and would silently undo it)",
        "hubs.staging.values.singleuser.extraEnv.TZ: would override what the hub's env.TZ sets (set env.TZ instead and remove this value: raw values are merged last and would silently undo it)",
        "hubs.staging.values.hub.config.GitHubOAuthenticator.allowed_organizations: would override what the hub's auth.allowedOrganizations sets (set auth.allowedOrganizations instead and remove this value: raw values are merged last and would silently undo it)",
        "hubs.staging.values.singleuser.serviceAccountName: would replace the fleet's user-sa service account, which carries the hub's cloud identity (remove it; grant cloud access with cloudAccess)");
    });

    it("reports a value from hubDefaults once, at hubDefaults, and refuses extraEnv as a list", () => {
        expectExactly(problemsOf(fleetWith(f => {
            f.hubDefaults.values = { singleuser: { extraEnv: [{ name: "A", value: "1" }] }, hub: { config: { Authenticator: { allow_all: true } } } };
            f.hubs.other = { ...f.hubs.staging, domain: "other.example.org" };
            f.hubSecrets.other = f.hubSecrets.staging;
        })),
        "hubDefaults.values.hub.config.Authenticator.allow_all: would override what the hub's auth.allowAll sets (set auth.allowAll instead and remove this value: raw values are merged last and would silently undo it)",
        "hubDefaults.values.singleuser.extraEnv: as a list it replaces every variable the fleet sets: env, bucketEnv and the platform's (write it as a map of name to value, or move the variables to env)");
    });

    it("leaves everything else to the escape hatch: other authenticator keys, acme server, cull, resources", () => {
        assert.deepStrictEqual(problemsOf(fleetWith(f => {
            f.hubs.staging.values = {
                hub: { config: { GitHubOAuthenticator: { enable_auth_state: true }, GenericOAuthenticator: { client_id: "unused" } } },
                proxy: { https: { letsencrypt: { acmeServer: "https://acme-staging-v02.api.letsencrypt.org/directory" } } },
                cull: { timeout: 600 }, singleuser: { memory: { limit: "4G" }, extraEnv: { OTHER: "1" } },
            };
        })), []);
    });
});

describe("config: raw values cannot undo what monitoring sets on a hub", () => {
    const fix = "(remove this value, or turn monitoring off (clusters.uw2.monitoring.enabled: false): raw values are merged last and would silently undo it)";
    const what = "would override what clusters.uw2.monitoring sets so that only Prometheus reads the hub's metrics";

    it("refuses the metrics service, its role, the scraper's ingress rule, the scrape annotation and authenticate_prometheus, naming the cluster's monitoring", () => {
        expectExactly(problemsOf(fleetWith(f => {
            f.hubDefaults.values = { hub: { config: { JupyterHub: { authenticate_prometheus: false } } } };
            f.hubs.staging.values = {
                hub: {
                    services: { prometheus: { admin: true } },
                    loadRoles: { "prometheus-metrics": { scopes: ["admin:users"], services: ["prometheus"] } },
                    networkPolicy: { ingress: [] },
                    service: { annotations: { "prometheus.io/scrape": "true" } },
                },
            };
        })),
        `hubDefaults.values.hub.config.JupyterHub.authenticate_prometheus: ${what} ${fix}`,
        `hubs.staging.values.hub.services.prometheus: ${what} ${fix}`,
        `hubs.staging.values.hub.loadRoles.prometheus-metrics: ${what} ${fix}`,
        `hubs.staging.values.hub.networkPolicy.ingress: ${what} ${fix}`,
        `hubs.staging.values.hub.service.annotations["prometheus.io/scrape"]: ${what} ${fix}`);
    });

    /** Every leaf of a values tree (lists are leaves) as its path's parts: keys such as prometheus.io/scrape hold dots. */
    const leafPaths = (value: unknown, at: string[] = []): string[][] => value && typeof value === "object" && !Array.isArray(value)
        ? Object.entries(value).flatMap(([key, item]) => leafPaths(item, [...at, key])) : [at];
    const withValue = (path: readonly string[], monitoring?: Record<string, unknown>) => fleetWith(f => {
        if (monitoring) f.clusters.uw2.monitoring = monitoring;
        let at = f.hubs.staging.values = {} as any;
        path.slice(0, -1).forEach(part => { at = at[part] = {}; });
        at[path[path.length - 1]] = "raw";
    });

    it("refuses each value the monitoring composer puts in a hub's values, on a cluster with monitoring only", async () => {
        // Derived from the composer, so a value added to hubMetricsValues without an owner in values.ts fails here.
        const { hubMetricsSecretValues, hubMetricsValues } = await import("../components/monitoring");
        const paths = [...leafPaths(hubMetricsValues()), ...leafPaths(hubMetricsSecretValues("token")),
            // Not set by the composer: JupyterHub's default, on, is what keeps /hub/metrics closed.
            ["hub", "config", "JupyterHub", "authenticate_prometheus"]];
        assert.ok(paths.length >= 5);
        for (const path of paths) {
            const refusedAt = (problems: string[]) => problems.filter(p => path.some((_, i) =>
                p.startsWith(`${formatPath(["hubs", "staging", "values", ...path.slice(0, i + 1)])}: ${what}`)));
            assert.strictEqual(refusedAt(problemsOf(withValue(path))).length, 1, `values.${path.join(".")} is not refused`);
            assert.deepStrictEqual(refusedAt(problemsOf(withValue(path, { enabled: false }))), [], `values.${path.join(".")} without monitoring`);
        }
    });
});

/** Every leaf of a values tree (lists are leaves), as dotted paths with their JSON. */
function leaves(value: unknown, at: string[] = []): Map<string, string> {
    if (value && typeof value === "object" && !Array.isArray(value)) {
        return new Map(Object.entries(value).flatMap(([key, item]) => [...leaves(item, [...at, key])]));
    }
    return new Map([[at.join("."), JSON.stringify(value)]]);
}

describe("config: every value a typed field produces is protected", () => {
    // Derived from the composer itself, so a typed field added to components/z2jhValues.ts without an owner
    // in components/config/values.ts fails here.
    const CLIENT_SECRET = { clientSecret: "s" };
    const hubWith = (fields: Record<string, unknown>, auth: Record<string, unknown> = CLIENT_SECRET): RawFleetConfig => {
        const fleet = awsFleet() as any;
        fleet.hubDefaults = { chartVersion: "4.4.2" };
        fleet.hubs.staging = { cluster: "uw2", auth: { type: "github", clientId: "a", allowedUsers: ["x"] }, ...fields };
        fleet.hubSecrets.staging = { auth, ...(fields.database ? { database: { url: "postgresql://u:p@db:5432/hub" } } : {}) };
        return fleet;
    };
    const compose = (raw: RawFleetConfig): Record<string, unknown> => {
        const hub: HubSpec = parseFleetConfig(raw, { stack: "staging", secretKeys: ["hubSecrets"] }).hubs.staging;
        return composeValues({
            hubKey: "staging", hub, home: hub.storage === "none" ? { type: "none" } : { type: "dynamic", capacity: "10Gi" },
            platformEnv: {}, cloudMetadata: "block", userVolumes: [], hubExtraConfig: {}, dedicatedNodePools: true,
        });
    };
    const variants: Record<string, [fields: Record<string, unknown>, authSecrets?: Record<string, unknown>]> = {
        "github auth": [{ auth: {
            type: "github", clientId: "b", allowedUsers: ["y"], adminUsers: ["z"], allowedOrganizations: ["org"],
            adminTeams: ["org:admins"], allowAll: true,
        } }],
        "oidc auth": [{ auth: {
            type: "oidc", clientId: "b", authorizeUrl: "https://id.example.org/auth", tokenUrl: "https://id.example.org/token",
            userdataUrl: "https://id.example.org/userinfo", usernameClaim: "email", scopes: ["openid"], groupsClaim: "roles",
            allowedGroups: ["g"], adminGroups: ["a"], allowedUsers: ["y"], adminUsers: ["z"], allowAll: true, loginService: "IdP",
        } }],
        "cilogon auth": [{ auth: {
            type: "cilogon", clientId: "b", adminUsers: ["z"], allowedIdps: {
                "https://idp.example.edu/idp/shibboleth": { usernameDerivation: { usernameClaim: "eppn" }, allowedDomains: ["example.edu"] },
            },
        } }],
        "shared-password auth": [{ auth: { type: "shared-password", adminUsers: ["z"], allowedUsers: ["y"] } },
            { password: "workshop-pass", adminPassword: "a".repeat(32) }],
        "ephemeral auth": [{ auth: { type: "ephemeral" }, domain: "pub.example.org", contactEmail: "ops@example.org" }, {}],
        "domain": [{ domain: "hub.example.org", contactEmail: "ops@example.org" }],
        "image": [{ image: { name: "pangeo/base-notebook", tag: "2025.01.10" } }],
        "profiles": [{ profiles: { small: { displayName: "Small", cpu: { limit: 1 } } } }],
        "database": [{ database: { type: "postgres" } }],
        "env and bucketEnv": [{ env: { TZ: "UTC" }, bucketEnv: { SCRATCH_BUCKET: "scratch" }, cloudAccess: { bucketAdminAccess: ["scratch"] } }],
        "defaultUrl": [{ defaultUrl: "/lab" }],
        "storage": [{ storage: "none" }],
        "culling": [{ culling: { idleTimeoutMinutes: 30, maxAgeMinutes: 600 } }],
        "userResources": [{ userResources: { cpu: { guarantee: 0.5, limit: 2 }, memory: { guarantee: "1G", limit: "2G" } } }],
    };
    const base = leaves(compose(hubWith({})));
    for (const [name, [fields, authSecrets]] of Object.entries(variants)) {
        it(`refuses raw values over each value ${name} sets`, () => {
            const produced = [...leaves(compose(hubWith(fields, authSecrets)))].filter(([path, json]) => base.get(path) !== json).map(([path]) => path);
            assert.ok(produced.length > 0);
            for (const path of produced) {
                const raw = hubWith(fields, authSecrets) as any;
                let at = raw.hubs.staging.values = {} as any;
                const parts = path.split(".");
                parts.slice(0, -1).forEach(part => { at = at[part] = {}; });
                at[parts[parts.length - 1]] = "raw";
                const problems = problemsOf(raw);
                // Refused at the value or at a map above it; a public hub's own rule words it its way (auth.ts).
                assert.ok(problems.some(p => parts.some((_, i) =>
                    new RegExp(`^hubs\\.staging\\.values\\.${parts.slice(0, i + 1).join("\\.")}: (would|overrides what keeps a public hub)`).test(p))),
                    `values.${path} (set by ${name}) is not refused; got:\n${problems.join("\n")}`);
            }
        });
    }
});

describe("config: secrets in raw values", () => {
    it("reports a secret in hubDefaults.values at its own path, with the commands that move it for every hub inheriting it", () => {
        expectExactly(problemsOf(fleetWith(f => {
            f.hubDefaults.values = { hub: { config: { GitHubOAuthenticator: { client_secret: "oops" } } } };
            f.hubs.other = { ...f.hubs.staging, domain: "other.example.org" };
            f.hubs.own = { ...f.hubs.staging, domain: "own.example.org", values: { hub: { config: { GitHubOAuthenticator: { client_secret: "mine" } } } } };
            f.hubSecrets.other = f.hubSecrets.own = f.hubSecrets.staging;
        })),
        "hubDefaults.values.hub.config.GitHubOAuthenticator.client_secret: looks like a secret in plain config (it would show in previews, state and git) " +
        "(move it: pulumi config rm --path 'hubDefaults.values.hub.config.GitHubOAuthenticator.client_secret' " +
        "&& pulumi config set --secret --path 'hubSecrets.staging.values.hub.config.GitHubOAuthenticator.client_secret' '<value>' " +
        "&& pulumi config set --secret --path 'hubSecrets.other.values.hub.config.GitHubOAuthenticator.client_secret' '<value>')",
        "hubs.own.values.hub.config.GitHubOAuthenticator.client_secret: looks like a secret in plain config (it would show in previews, state and git) " +
        "(move it: pulumi config rm --path 'hubs.own.values.hub.config.GitHubOAuthenticator.client_secret' " +
        "&& pulumi config set --secret --path 'hubSecrets.own.values.hub.config.GitHubOAuthenticator.client_secret' '<value>')");
    });
});
