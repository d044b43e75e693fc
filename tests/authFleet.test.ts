/**
 * A fleet with a public hub, a workshop without storage and a shared image pull secret, run under mocks: what
 * each hub is given on the cluster, what the provider's Check keeps secret in the state
 * (scripts/engineModel/helmRelease.ts), and how the public-hub rule judges the recorded resources.
 */
import * as assert from "assert";
import type { Fleet } from "../components/fleet";
import { PackConfig, PlannedResource, evaluatePolicies } from "../policies/evaluate";
import { z2jhAuthRestricted } from "../policies/rules/z2jh";
import { checkRelease, plaintextSecrets, stripSecrets } from "../scripts/engineModel/helmRelease";
import { parseFleetConfig } from "../components/config";
import { HOME_DIRECTORY_HOOK_KEY } from "../components/hooks/homeDirectory";
import { awsCluster, githubHub } from "./fixtures";
import { MockRecorder, useMocks, valueOf } from "./harness";

const PASSWORD = "workshop-password";
const ADMIN_PASSWORD = "an-admin-password-of-at-least-32-characters";
const REGISTRY_TOKEN = "registry-token";
const RELEASE = "kubernetes:helm.sh/v3:Release";

const CONFIG = {
    clusters: { uw2: awsCluster() },
    hubs: {
        staging: githubHub("uw2"),
        pub: { cluster: "uw2", domain: "tess.example.org", contactEmail: "ops@example.org", auth: { type: "ephemeral" } },
        workshop: {
            cluster: "uw2", domain: "workshop.example.org", contactEmail: "ops@example.org",
            auth: { type: "shared-password", adminUsers: ["instructor"] }, storage: "none", defaultUrl: "/lab",
        },
    },
    hubSecrets: {
        staging: { auth: { clientSecret: "gh-client-secret" } },
        workshop: { auth: { password: PASSWORD, adminPassword: ADMIN_PASSWORD } },
    },
    hubSecretDefaults: { values: { imagePullSecret: { create: true, registry: "ghcr.io", username: "fleet", password: REGISTRY_TOKEN } } },
};

describe("a fleet with public, workshop and authenticated hubs, under mocks", () => {
    let recorder: MockRecorder;
    let fleet: Fleet;

    before(async () => {
        recorder = useMocks({ stack: "staging", config: CONFIG, secretKeys: ["hubSecrets", "hubSecretDefaults"] });
        const { loadFleetConfig } = await import("../components/config");
        const { deployFleet } = await import("../components/fleet");
        fleet = deployFleet(loadFleetConfig());
        await Promise.all(Object.values(fleet.hubs).map(hub => valueOf(hub.release.status)));
        await valueOf(fleet.outputs.kubeconfigs);
    });

    it("gives hubs without storage no EFS access point, PV or claim, and their users no cloud identity", () => {
        assert.deepStrictEqual(recorder.ofType("aws:efs/accessPoint:AccessPoint").map(r => r.name), ["uw2-homes-staging"]);
        for (const type of ["kubernetes:core/v1:PersistentVolume", "kubernetes:core/v1:PersistentVolumeClaim"]) {
            assert.deepStrictEqual(recorder.ofType(type).map(r => r.inputs.metadata.name), type.endsWith("Volume") ? ["staging-home"] : ["home"]);
        }
        for (const hub of ["pub", "workshop"]) {
            const values = stripSecrets(recorder.get(RELEASE, `${hub}-release`).wireInputs.values) as any;
            assert.deepStrictEqual(values.singleuser.storage, { type: "none" });
            assert.strictEqual(values.singleuser.initContainers, undefined);
            assert.deepStrictEqual(recorder.get("kubernetes:core/v1:ServiceAccount", `${hub}-user-sa`).inputs.metadata.annotations, {});
        }
    });

    it("keeps the shared passwords and the shared pull secret secret in the state the provider's Check writes", () => {
        for (const release of recorder.ofType(RELEASE).filter(r => r.inputs.chart === "jupyterhub")) {
            const checked = checkRelease(release.wireInputs);
            assert.deepStrictEqual(plaintextSecrets(checked, [PASSWORD, ADMIN_PASSWORD, REGISTRY_TOKEN, "gh-client-secret"]), [], release.name);
            assert.strictEqual((stripSecrets(checked) as any).values.imagePullSecret.password, REGISTRY_TOKEN, release.name);
        }
        const workshop = stripSecrets(recorder.get(RELEASE, "workshop-release").wireInputs.values) as any;
        assert.deepStrictEqual(workshop.hub.config.SharedPasswordAuthenticator, { user_password: PASSWORD, admin_password: ADMIN_PASSWORD });
    });

    describe("z2jh-auth-restricted on the recorded resources", () => {
        /** What resource validation sees: inputs with secrets unwrapped (policies/evaluate.ts). */
        const planned = (): PlannedResource[] => recorder.ofType(RELEASE).concat(recorder.ofType("kubernetes:core/v1:ServiceAccount")).map(r => {
            const inputs = stripSecrets(r.wireInputs) as Record<string, any>;
            return {
                urn: `urn:pulumi:staging::jupyterhub-fleet::${r.type}::${r.name}`, type: r.type, name: r.name,
                inputs, outputs: inputs, protect: false, ignoreChanges: [],
            };
        });
        const config = (publicHubs: string[]): PackConfig => ({ "z2jh-auth-restricted": { localStacks: [], allowAllHubs: [], publicHubs } });

        it("passes the public hub listed in publicHubs, and the workshop whose password is its gate", async () => {
            assert.deepStrictEqual(await evaluatePolicies([z2jhAuthRestricted], planned(), config(["pub"])), []);
        });

        it("refuses the public hub when the stack's policy config does not list it", async () => {
            const violations = await evaluatePolicies([z2jhAuthRestricted], planned(), config([]));
            assert.deepStrictEqual(violations.map(v => [v.urn?.split("::").pop(), v.enforcementLevel]), [["pub-release", "mandatory"]]);
            assert.match(violations[0].message, /gives every visitor a temporary user and a server \(tmpauthenticator\) on stack staging: if the hub is meant to be public, add "pub" to publicHubs of z2jh-auth-restricted in policies\/config\/staging\.json/);
        });

        it("refuses a hub listed as public that keeps homes and a cloud identity", async () => {
            const violations = await evaluatePolicies([z2jhAuthRestricted], planned(), config(["pub", "staging"]));
            assert.deepStrictEqual(violations.map(v => v.urn?.split("::").pop()).sort(), ["staging-release", "staging-user-sa"]);
            const messages = violations.map(v => v.message).join("\n");
            assert.match(messages, /singleuser\.storage\.type is "static" \(set storage: none\)/);
            assert.match(messages, /cull needs enabled, timeout and maxAge/);
            assert.match(messages, /service account user-sa carries eks\.amazonaws\.com\/role-arn, a cloud identity every visitor of public hub staging could use/);
        });
    });
});

describe("storage: none on an existing cluster with NFS homes", () => {
    it("makes no user directories on the NFS server for the hub without storage", async () => {
        useMocks({ stack: "staging" });
        const { KubernetesCluster } = await import("../components/kubernetes/cluster");
        const workshop = { cluster: "lab", auth: { type: "shared-password" } };
        const config = parseFleetConfig({
            clusters: { lab: { provider: "kubernetes", context: "lab", homeStorage: { type: "nfs", server: "nfs.example.org", path: "/export/homes" } } },
            hubs: { research: workshop, workshop: { ...workshop, storage: "none" } },
            hubSecrets: { research: { auth: { password: PASSWORD } }, workshop: { auth: { password: PASSWORD } } },
        }, { stack: "staging", secretKeys: ["hubSecrets"] });
        const cluster = new KubernetesCluster("lab", { cluster: config.clusters.lab as any, hubs: config.hubs });
        assert.ok(HOME_DIRECTORY_HOOK_KEY in cluster.hubAccess("research").hubExtraConfig, "the hub with homes gets its directories");
        assert.deepStrictEqual(cluster.hubAccess("workshop").hubExtraConfig, {});
    });
});
