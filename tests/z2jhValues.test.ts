import * as assert from "assert";
import { parseFleetConfig, HubSpec } from "../components/config";
import { composeSecretValues, composeValues, ValuesInput } from "../components/z2jhValues";
import { assertChartAccepts as chartAccepts } from "./chartSchema";
import { awsCluster, awsFleet } from "./fixtures";

function assertChartAccepts(...sources: object[]): void {
    chartAccepts("the values", ...sources);
}

function hubFrom(raw: Record<string, unknown>, overrides: Record<string, unknown> = {}, secrets?: Record<string, unknown>): HubSpec {
    const fleet = awsFleet() as any;
    fleet.hubs.staging = { ...fleet.hubs.staging, ...overrides };
    Object.assign(fleet, raw);
    if (secrets) fleet.hubSecrets.staging = secrets;
    return parseFleetConfig(fleet, { stack: "test", secretKeys: ["hubSecrets"] }).hubs.staging;
}

function input(hub: HubSpec, overrides: Partial<ValuesInput> = {}): ValuesInput {
    return {
        hubKey: "staging", hub,
        home: { type: "static", pvcName: "home", subPath: "{escaped_username}", fixOwnership: false },
        platformEnv: { SCRATCH_BUCKET: "s3://uw2-scratch/$(JUPYTERHUB_USER)" },
        cloudMetadata: "block", userVolumes: [], hubExtraConfig: {}, dedicatedNodePools: true,
        ...overrides,
    };
}

/** The fixture cluster with a GPU pool. */
const GPU_CLUSTER = awsCluster({ nodePools: {
    core: { machineType: "r5.xlarge", minNodes: 1, maxNodes: 3 },
    user: { machineType: "r5.4xlarge", minNodes: 0, maxNodes: 20 },
    gpu: { machineType: "g4dn.xlarge", minNodes: 0, maxNodes: 4, gpu: { count: 1 } },
} });

const SECRETS = { cookieSecret: "a".repeat(64), proxySecretToken: "b".repeat(64), cryptKey: "c".repeat(64) };

describe("z2jh values", () => {
    it("composes github auth, security defaults, https and env that the chart accepts", () => {
        const hub = hubFrom({});
        const values = composeValues(input(hub)) as any;
        assert.strictEqual(values.hub.config.JupyterHub.authenticator_class, "github");
        assert.deepStrictEqual(values.hub.config.GitHubOAuthenticator, {
            client_id: "Iv1.abc", oauth_callback_url: "https://staging.hub.example.org/hub/oauth_callback",
            allowed_organizations: ["example-org"], scope: ["read:org"],
        });
        assert.deepStrictEqual(values.hub.config.Authenticator, { admin_users: ["alice"], allow_all: false });
        assert.strictEqual(values.singleuser.serviceAccountName, "user-sa");
        assert.strictEqual(values.singleuser.uid, 1000);
        assert.strictEqual(values.singleuser.networkPolicy.enabled, true);
        assert.strictEqual(values.singleuser.cloudMetadata.blockWithIptables, true);
        assert.strictEqual(values.singleuser.networkPolicy.egressAllowRules.cloudMetadataServer, false);
        assert.deepStrictEqual(values.proxy.https, {
            enabled: true, type: "letsencrypt", hosts: ["staging.hub.example.org"], letsencrypt: { contactEmail: "ops@example.org" },
        });
        assert.strictEqual(values.cull.enabled, true);
        // hubDefaults.values (cull.timeout 7200) is merged over the composed default.
        assert.strictEqual(values.cull.timeout, 7200);
        assert.deepStrictEqual(values.singleuser.extraEnv, { SCRATCH_BUCKET: "s3://uw2-scratch/$(JUPYTERHUB_USER)" });
        assert.deepStrictEqual(values.singleuser.storage, { type: "static", static: { pvcName: "home", subPath: "{escaped_username}" } });
        assertChartAccepts(values, composeSecretValues({ hub, ...SECRETS, clientSecret: "s3cr3t" }));
    });

    it("opens the metadata server only when the platform needs it, never both rules at once", () => {
        const values = composeValues(input(hubFrom({}), { cloudMetadata: "allow" })) as any;
        assert.strictEqual(values.singleuser.cloudMetadata.blockWithIptables, false);
        assert.strictEqual(values.singleuser.networkPolicy.egressAllowRules.cloudMetadataServer, true);
        assertChartAccepts(values);
    });

    it("closes the cloud metadata server to the hub and proxy pods on every platform, DNS through it aside", () => {
        for (const cloudMetadata of ["block", "allow", "network-policy"] as const) {
            const values = composeValues(input(hubFrom({}), { cloudMetadata })) as any;
            for (const policy of [values.hub.networkPolicy, values.proxy.chp.networkPolicy, values.proxy.traefik.networkPolicy]) {
                // The chart's default is true for all three (values.yaml hub/proxy.*.networkPolicy.egressAllowRules).
                assert.deepStrictEqual(policy, { enabled: true, egressAllowRules: { cloudMetadataServer: false } }, cloudMetadata);
            }
            assertChartAccepts(values);
        }
    });

    it("holds hub pods to core nodes and user servers to user nodes where the fleet made the pools", () => {
        const values = composeValues(input(hubFrom({}))) as any;
        // z2jh's default is `prefer` (values.yaml scheduling.*.nodeAffinity.matchNodePurpose): users would fill core nodes.
        assert.deepStrictEqual(values.scheduling, {
            corePods: { nodeAffinity: { matchNodePurpose: "require" } },
            userPods: { nodeAffinity: { matchNodePurpose: "require" } },
        });
        assertChartAccepts(values);
        const existing = composeValues(input(hubFrom({}), { dedicatedNodePools: false })) as any;
        assert.strictEqual(existing.scheduling, undefined, "an existing cluster's nodes may have no purpose label");
    });

    it("can block the metadata server by network policy alone, for clusters that refuse the iptables init container", () => {
        const values = composeValues(input(hubFrom({}), { cloudMetadata: "network-policy" })) as any;
        assert.strictEqual(values.singleuser.cloudMetadata.blockWithIptables, false);
        assert.strictEqual(values.singleuser.networkPolicy.enabled, true);
        assert.strictEqual(values.singleuser.networkPolicy.egressAllowRules.cloudMetadataServer, false);
        assertChartAccepts(values);
    });

    it("maps oidc auth to GenericOAuthenticator with auth state and group rules", () => {
        const hub = hubFrom({}, {
            auth: {
                type: "oidc", clientId: "vre", authorizeUrl: "https://iam.example.org/authorize",
                tokenUrl: "https://iam.example.org/token", userdataUrl: "https://iam.example.org/userinfo",
                allowedGroups: ["vre-users"], adminGroups: ["vre-admins"], loginService: "ESCAPE IAM",
            },
        });
        const values = composeValues(input(hub)) as any;
        assert.strictEqual(values.hub.config.JupyterHub.authenticator_class, "generic-oauth");
        assert.deepStrictEqual(values.hub.config.GenericOAuthenticator, {
            client_id: "vre", oauth_callback_url: "https://staging.hub.example.org/hub/oauth_callback",
            authorize_url: "https://iam.example.org/authorize", token_url: "https://iam.example.org/token",
            userdata_url: "https://iam.example.org/userinfo", username_claim: "preferred_username",
            scope: ["openid", "profile", "email"], login_service: "ESCAPE IAM",
            allowed_groups: ["vre-users"], admin_groups: ["vre-admins"], auth_state_groups_key: "oauth_user.groups",
            // oauthenticator 17 refuses group rules without manage_groups (oauth2.py `_requires_manage_groups`).
            manage_groups: true, enable_auth_state: true,
        });
        const secret = composeSecretValues({ hub, ...SECRETS, clientSecret: "oidc-secret" }) as any;
        assert.strictEqual(secret.hub.config.GenericOAuthenticator.client_secret, "oidc-secret");
        assert.deepStrictEqual(secret.hub.config.CryptKeeper.keys, ["c".repeat(64)]);
        assertChartAccepts(values, secret);
    });

    it("keeps every secret out of the public values", () => {
        const hub = hubFrom({}, { database: { type: "postgres" } },
            { auth: { clientSecret: "client-secret-value" }, database: { url: "postgresql://u:db-password@db:5432/hub" } });
        const values = composeValues(input(hub));
        const secret = composeSecretValues({ hub, ...SECRETS, clientSecret: "client-secret-value", databaseUrl: "postgresql://u:db-password@db:5432/hub" }) as any;
        const publicText = JSON.stringify(values);
        for (const leaked of ["client-secret-value", "db-password", SECRETS.cookieSecret, SECRETS.proxySecretToken, SECRETS.cryptKey]) {
            assert.ok(!publicText.includes(leaked), `public values contain ${leaked}`);
        }
        assert.deepStrictEqual((values as any).hub.db, { type: "postgres" });
        assert.strictEqual(secret.hub.db.url, "postgresql://u:db-password@db:5432/hub");
        assert.strictEqual(secret.hub.cookieSecret, SECRETS.cookieSecret);
        assert.strictEqual(secret.proxy.secretToken, SECRETS.proxySecretToken);
        assertChartAccepts(values, secret);
    });

    it("maps image, profiles, env and extra NFS mounts; the hub's env wins over the platform's", () => {
        const hub = hubFrom({ clusters: { uw2: GPU_CLUSTER } }, {
            image: { name: "quay.io/pangeo/pangeo-notebook", tag: "2025.01.10" },
            env: { SCRATCH_BUCKET: "s3://elsewhere", RUCIO_MODE: "replica" },
            profiles: {
                small: { displayName: "Small", description: "2 CPU, 8 GB", cpu: { guarantee: 1, limit: 2 }, memory: { guarantee: "4G", limit: "8G" }, default: true },
                gpu: { displayName: "GPU", image: "quay.io/pangeo/ml-notebook:2025.01.10", nodePool: "gpu", gpus: 1 },
            },
        });
        const values = composeValues(input(hub, {
            home: { type: "static", pvcName: "home", subPath: "staging/{escaped_username}", fixOwnership: true },
            userVolumes: [{ name: "scratch", server: "nfs.example.org", path: "/export/scratch", mountPath: "/scratch", readOnly: false }],
            nodePools: GPU_CLUSTER.nodePools as ValuesInput["nodePools"],
        })) as any;
        assert.deepStrictEqual(values.singleuser.image, { name: "quay.io/pangeo/pangeo-notebook", tag: "2025.01.10" });
        assert.strictEqual(values.singleuser.extraEnv.SCRATCH_BUCKET, "s3://elsewhere");
        assert.deepStrictEqual(values.singleuser.profileList.map((p: any) => p.slug), ["small", "gpu"]);
        assert.deepStrictEqual(values.singleuser.profileList[0].kubespawner_override,
            { cpu_guarantee: 1, cpu_limit: 2, mem_guarantee: "4G", mem_limit: "8G" });
        // The GPU profile lands on its pool, tolerates z2jh's user taint (its list replaces z2jh's) and the GPU taint.
        assert.deepStrictEqual(values.singleuser.profileList[1].kubespawner_override, {
            image: "quay.io/pangeo/ml-notebook:2025.01.10",
            node_selector: { "jupyterhub-fleet/node-pool": "gpu" },
            tolerations: [
                { key: "hub.jupyter.org/dedicated", operator: "Equal", value: "user", effect: "NoSchedule" },
                { key: "hub.jupyter.org_dedicated", operator: "Equal", value: "user", effect: "NoSchedule" },
                { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
            ],
            extra_resource_limits: { "nvidia.com/gpu": "1" },
        });
        assert.deepStrictEqual(values.singleuser.storage.extraVolumes, [{ name: "scratch", nfs: { server: "nfs.example.org", path: "/export/scratch", readOnly: false } }]);
        const [init] = values.singleuser.initContainers;
        assert.strictEqual(init.volumeMounts[0].subPath, "staging/{escaped_username}");
        assert.match(init.command[2], /chown 1000:100 \/home\/jovyan/);
        assertChartAccepts(values);
    });

    it("puts the hub's raw values last, replacing lists and merging maps", () => {
        const hub = hubFrom({}, { values: { singleuser: { networkPolicy: { egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8" } }] }] } }, cull: { timeout: 60 } } });
        const values = composeValues(input(hub)) as any;
        assert.strictEqual(values.cull.timeout, 60);
        assert.strictEqual(values.cull.enabled, true);
        assert.strictEqual(values.singleuser.networkPolicy.enabled, true);
        assert.deepStrictEqual(values.singleuser.networkPolicy.egress, [{ to: [{ ipBlock: { cidr: "10.0.0.0/8" } }] }]);
        assertChartAccepts(values);
    });

    it("takes culling, per-user resources and the landing page from the hub's typed fields", () => {
        const hub = hubFrom({ hubDefaults: { chartVersion: "4.4.2" } }, {
            culling: { idleTimeoutMinutes: 120, maxAgeMinutes: 720 }, defaultUrl: "/lab/tree/notebooks",
            userResources: { cpu: { guarantee: 0.5, limit: 2 }, memory: { guarantee: "2G", limit: "4G" } },
        });
        const values = composeValues(input(hub)) as any;
        // jupyterhub-idle-culler takes seconds (z2jh jupyterhub_config.py: --timeout, --cull-every, --max-age).
        assert.deepStrictEqual(values.cull, { enabled: true, timeout: 7200, every: 300, maxAge: 43200 });
        assert.deepStrictEqual([values.singleuser.cpu, values.singleuser.memory], [{ guarantee: 0.5, limit: 2 }, { guarantee: "2G", limit: "4G" }]);
        assert.strictEqual(values.singleuser.defaultUrl, "/lab/tree/notebooks");
        assertChartAccepts(values);
        const plain = composeValues(input(hubFrom({ hubDefaults: { chartVersion: "4.4.2" } }))) as any;
        assert.deepStrictEqual(plain.cull, { enabled: true, timeout: 3600, every: 300 }, "an hour idle, no maximum age, by default");
        assert.deepStrictEqual([plain.singleuser.cpu, plain.singleuser.memory, plain.singleuser.defaultUrl], [undefined, undefined, undefined]);
    });

    it("is refused when a raw value is misspelled, at load time rather than by helm at install", () => {
        assert.throws(() => hubFrom({}, { values: { singleuser: { storrage: { type: "none" } } } }),
            /hubs\.staging\.values\.singleuser\.storrage: unknown key \(did you mean storage\?/);
    });
});
