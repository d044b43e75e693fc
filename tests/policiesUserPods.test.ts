/**
 * The escape hatch keeps the security defaults: raw z2jh values that run user pods as root, in the node's
 * namespaces, with allow_all, or with a home subPath outside the user's directory are refused unless the
 * stack's policy config lists the hub. Values come from the program's own composition (a hub spec parsed
 * from config, its raw `values` merged last), so the fleet's defaults, including its root
 * `home-ownership` init container for NFS homes, are what the rules see in a real release.
 */
import * as assert from "assert";
import { parseFleetConfig } from "../components/config";
import { composeValues } from "../components/z2jhValues";
import { ResourceFacts } from "../policies/rules/common";
import { rules } from "../policies/rules";
import { z2jhHomePerUser, z2jhUserPodsHostIsolated, z2jhUserPodsNonRoot } from "../policies/rules/userPods";
import { z2jhAuthRestricted } from "../policies/rules/z2jh";
import { PackConfig, PlannedResource, evaluatePolicies } from "../policies/evaluate";
import { awsFleet } from "./fixtures";

/** The release of hub `staging` on NFS homes, with `raw` as its `hubs.staging.values` and `defaults` as `hubDefaults.values`. */
function release(raw: Record<string, unknown> = {}, defaults?: Record<string, unknown>): ResourceFacts {
    const fleet = awsFleet() as any;
    fleet.hubs.staging.values = raw;
    if (defaults) fleet.hubDefaults.values = defaults;
    const hub = parseFleetConfig(fleet, { stack: "staging", secretKeys: ["hubSecrets"] }).hubs.staging;
    const values = composeValues({
        hubKey: "staging", hub,
        home: { type: "static", pvcName: "home", subPath: "staging/{escaped_username}", fixOwnership: true },
        platformEnv: {}, cloudMetadata: "block", userVolumes: [], hubExtraConfig: {}, dedicatedNodePools: true,
    });
    return {
        type: "kubernetes:helm.sh/v3:Release", name: "staging-release", protect: false,
        urn: "urn:pulumi:staging::jupyterhub-fleet::jupyterhub:hub:Hub$kubernetes:helm.sh/v3:Release::staging-release",
        props: { name: "staging", chart: "jupyterhub", version: "4.4.2", values },
    };
}

const NONE = { allowHubs: [] };
const ALLOWED = { allowHubs: ["staging"] };

/** One message naming the release, each offending key path, and the allowHubs way out. */
function assertRefused(messages: string[], rule: string, paths: string[]): void {
    assert.strictEqual(messages.length, 1, JSON.stringify(messages));
    assert.ok(messages[0].includes('Release "staging-release" (hub staging)'), messages[0]);
    for (const path of paths) assert.ok(messages[0].includes(path), `${path} missing: ${messages[0]}`);
    assert.ok(messages[0].includes(`add "staging" to allowHubs of ${rule} in policies/config/staging.json`), messages[0]);
}

describe("escape hatch: the fleet's own values pass", () => {
    it("with NFS homes and their root home-ownership init container", () => {
        const fleetRelease = release();
        assert.strictEqual(fleetRelease.props.values.singleuser.initContainers[0].name, "home-ownership");
        for (const rule of [z2jhUserPodsNonRoot, z2jhUserPodsHostIsolated, z2jhHomePerUser]) {
            assert.deepStrictEqual(rule.check(fleetRelease, NONE), [], rule.name);
        }
    });
});

describe("z2jh-user-pods-non-root", () => {
    const cases: Record<string, { values: Record<string, unknown>; paths: string[] }> = {
        "uid 0": { values: { singleuser: { uid: 0 } }, paths: ["singleuser.uid: 0"] },
        "uid null (the image's user)": { values: { singleuser: { uid: null } }, paths: ["singleuser.uid: null"] },
        "a root pod security context": {
            values: { singleuser: { extraPodConfig: { securityContext: { runAsUser: 0, runAsNonRoot: false } } } },
            paths: ["singleuser.extraPodConfig.securityContext.runAsUser: 0", "singleuser.extraPodConfig.securityContext.runAsNonRoot: false"],
        },
        "privilege escalation": { values: { singleuser: { allowPrivilegeEscalation: true } }, paths: ["singleuser.allowPrivilegeEscalation: true"] },
        "a privileged sidecar": {
            values: { singleuser: { extraContainers: [{ name: "docker", image: "docker:dind", securityContext: { privileged: true } }] } },
            paths: ["singleuser.extraContainers[0] (docker).securityContext.privileged: true"],
        },
        "an init container that may escalate or adds SYS_ADMIN": {
            values: { singleuser: { initContainers: [{ name: "setup", image: "busybox", securityContext: {
                allowPrivilegeEscalation: true, capabilities: { add: ["SYS_ADMIN"] } } }] } },
            paths: ["singleuser.initContainers[0] (setup).securityContext.allowPrivilegeEscalation: true", "capabilities.add: SYS_ADMIN"],
        },
        "another command under the home-ownership name": {
            values: { singleuser: { initContainers: [{ name: "home-ownership", image: "busybox:1.36", command: ["sh", "-c", "cat /etc/shadow"],
                securityContext: { runAsUser: 0, runAsNonRoot: false, allowPrivilegeEscalation: false } }] } },
            paths: ["singleuser.initContainers[0] (home-ownership).securityContext.runAsUser: 0"],
        },
        "KubeSpawner's own traits": {
            values: { hub: { config: { KubeSpawner: { uid: 0, privileged: true, container_security_context: { runAsNonRoot: false } } } } },
            paths: ["hub.config.KubeSpawner.uid: 0", "hub.config.KubeSpawner.privileged: true",
                "hub.config.KubeSpawner.container_security_context.runAsNonRoot: false"],
        },
        "a profile's override and an option choice's": {
            values: { singleuser: { profileList: [{ display_name: "root", slug: "root", kubespawner_override: { uid: 0 },
                profile_options: { image: { display_name: "Image", choices: { admin: { display_name: "Admin",
                    kubespawner_override: { allow_privilege_escalation: true } } } } } }] } },
            paths: ["singleuser.profileList[0].kubespawner_override.uid: 0",
                "singleuser.profileList[0].profile_options.image.choices.admin.kubespawner_override.allow_privilege_escalation: true"],
        },
    };
    for (const [name, { values, paths }] of Object.entries(cases)) {
        it(`refuses ${name}, unless the hub is allowed`, () => {
            assertRefused(z2jhUserPodsNonRoot.check(release(values), NONE), "z2jh-user-pods-non-root", paths);
            assert.deepStrictEqual(z2jhUserPodsNonRoot.check(release(values), ALLOWED), []);
        });
    }

    it("refuses hubDefaults.values too, and leaves non-root settings alone", () => {
        assertRefused(z2jhUserPodsNonRoot.check(release({}, { singleuser: { uid: 0 } }), NONE), "z2jh-user-pods-non-root", ["singleuser.uid: 0"]);
        const fine = { singleuser: { uid: 1001, extraPodConfig: { securityContext: { runAsNonRoot: true, fsGroup: 100 } },
            extraContainers: [{ name: "sidecar", image: "x", securityContext: { runAsUser: 1001, allowPrivilegeEscalation: false } }] } };
        assert.deepStrictEqual(z2jhUserPodsNonRoot.check(release(fine), NONE), []);
    });
});

describe("z2jh-user-pods-host-isolated", () => {
    it("refuses hostNetwork anywhere in an extra pod config, and hostPID / hostIPC", () => {
        assertRefused(z2jhUserPodsHostIsolated.check(release({ singleuser: { extraPodConfig: { hostNetwork: true } } }), NONE),
            "z2jh-user-pods-host-isolated", ["singleuser.extraPodConfig.hostNetwork: true"]);
        assertRefused(z2jhUserPodsHostIsolated.check(release({ hub: { config: { KubeSpawner: { extra_pod_config: { hostPID: true } } } } }), NONE),
            "z2jh-user-pods-host-isolated", ["hub.config.KubeSpawner.extra_pod_config.hostPID: true"]);
        const nested = release({ singleuser: { profileList: [{ display_name: "x", kubespawner_override: { extra_pod_config: { spec: { hostIPC: true } } } }] } });
        assertRefused(z2jhUserPodsHostIsolated.check(nested, NONE), "z2jh-user-pods-host-isolated",
            ["singleuser.profileList[0].kubespawner_override.extra_pod_config.spec.hostIPC: true"]);
        assert.deepStrictEqual(z2jhUserPodsHostIsolated.check(release({ singleuser: { extraPodConfig: { hostNetwork: true } } }), ALLOWED), []);
        assert.deepStrictEqual(z2jhUserPodsHostIsolated.check(release({ singleuser: { extraPodConfig: { hostNetwork: false, dnsPolicy: "ClusterFirst" } } }), NONE), []);
    });
});

describe("z2jh-auth-restricted: allow_all in any authenticator section", () => {
    it("refuses per-authenticator allow_all unless the hub is in allowAllHubs", () => {
        const open = release({ hub: { config: { GitHubOAuthenticator: { allow_all: true } } } });
        const messages = z2jhAuthRestricted.check(open, { localStacks: [], allowAllHubs: [], publicHubs: [] });
        assert.strictEqual(messages.length, 1, JSON.stringify(messages));
        assert.ok(messages[0].includes("hub.config.GitHubOAuthenticator.allow_all") && messages[0].includes('add "staging" to allowAllHubs'), messages[0]);
        assert.deepStrictEqual(z2jhAuthRestricted.check(open, { localStacks: [], allowAllHubs: ["staging"], publicHubs: [] }), []);
        assert.deepStrictEqual(z2jhAuthRestricted.check(release(), { localStacks: [], allowAllHubs: [], publicHubs: [] }), []);
    });
});

describe("z2jh-home-per-user", () => {
    const cases: Record<string, { values: Record<string, unknown>; paths: string[] }> = {
        "a hub-wide subPath": { values: { singleuser: { storage: { static: { subPath: "staging" } } } }, paths: ['singleuser.storage.static.subPath: "staging"'] },
        "a subPath that climbs out": {
            values: { singleuser: { storage: { static: { subPath: "../{escaped_username}" } } } },
            paths: ['singleuser.storage.static.subPath: "../{escaped_username}"'],
        },
        "the whole claim mounted beside the home": {
            values: { singleuser: { storage: { extraVolumeMounts: [{ name: "home", mountPath: "/home/jovyan/all" }] } } },
            paths: ['singleuser.storage.extraVolumeMounts[0] mounts the home claim at subPath ""'],
        },
        "the claim under another volume name": {
            values: { singleuser: { storage: {
                extraVolumes: [{ name: "everyone", persistentVolumeClaim: { claimName: "home" } }],
                extraVolumeMounts: [{ name: "everyone", mountPath: "/shared", subPath: "staging" }],
            } } },
            paths: ['singleuser.storage.extraVolumeMounts[0] mounts the home claim at subPath "staging"'],
        },
        "a sidecar with another user's directory": {
            values: { singleuser: { extraContainers: [{ name: "sync", image: "x", volumeMounts: [{ name: "home", mountPath: "/data", subPath: "staging/alice" }] }] } },
            paths: ['singleuser.extraContainers[0] (sync).volumeMounts[0] mounts the home claim at subPath "staging/alice"'],
        },
        "KubeSpawner volume mounts with subPathExpr": {
            values: { hub: { config: { KubeSpawner: { volume_mounts: [{ name: "home", mountPath: "/home/jovyan", subPathExpr: "$(POD_NAME)" }] } } } },
            paths: ['hub.config.KubeSpawner.volume_mounts[0].subPathExpr: "$(POD_NAME)" on the home claim'],
        },
    };
    for (const [name, { values, paths }] of Object.entries(cases)) {
        it(`refuses ${name}, unless the hub is allowed`, () => {
            assertRefused(z2jhHomePerUser.check(release(values), NONE), "z2jh-home-per-user", paths);
            assert.deepStrictEqual(z2jhHomePerUser.check(release(values), ALLOWED), []);
        });
    }

    it("passes per-user subPaths, other volumes, and dynamic homes", () => {
        for (const values of [
            { singleuser: { storage: { static: { subPath: "{username}" } } } },
            { singleuser: { storage: { extraVolumeMounts: [{ name: "home", mountPath: "/home/jovyan/.cache", subPath: "staging/{escaped_username}/" }] } } },
            { singleuser: { storage: { extraVolumes: [{ name: "data", nfs: { server: "nfs", path: "/data" } }],
                extraVolumeMounts: [{ name: "data", mountPath: "/data" }] } } },
            { singleuser: { storage: { type: "dynamic", extraVolumeMounts: [{ name: "home", mountPath: "/x" }] } } },
        ]) {
            assert.deepStrictEqual(z2jhHomePerUser.check(release(values), NONE), [], JSON.stringify(values));
        }
    });
});

describe("escape-hatch rules under the stack's policy config", () => {
    it("are mandatory, and allowHubs comes from the config file's entry", async () => {
        const root = release({ singleuser: { uid: 0, extraPodConfig: { hostNetwork: true }, storage: { static: { subPath: "all" } } } });
        const planned: PlannedResource = { urn: root.urn, type: root.type, name: root.name, inputs: root.props, outputs: root.props,
            protect: false, ignoreChanges: [] };
        const names = ["z2jh-user-pods-non-root", "z2jh-user-pods-host-isolated", "z2jh-home-per-user"];
        const refused = (await evaluatePolicies(rules, [planned], {})).filter(v => names.includes(v.policy));
        assert.deepStrictEqual(refused.map(v => `${v.policy}:${v.enforcementLevel}`), names.map(n => `${n}:mandatory`));
        const config: PackConfig = Object.fromEntries(names.map(name => [name, { enforcementLevel: "mandatory", allowHubs: ["staging"] }]));
        assert.deepStrictEqual((await evaluatePolicies(rules, [planned], config)).filter(v => names.includes(v.policy)), []);
        for (const stack of ["staging", "prod"]) {
            const file = require(`../policies/config/${stack}.json`) as PackConfig;
            for (const name of names) assert.deepStrictEqual(file[name], { enforcementLevel: "mandatory", allowHubs: [] }, `${stack}: ${name}`);
        }
    });
});
