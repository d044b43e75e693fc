/**
 * Profiles (issue 13): the checked config, the KubeSpawner profile list it renders, the authenticator settings
 * that fetch users' groups, and the group filter run for real by python3 against that rendered list.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { HubSpec, parseFleetConfig } from "../components/config";
import { allocatable, MACHINE_TYPES } from "../components/config/machineTypes";
import { hubAuthHooks } from "../components/hooks/hubHooks";
import { PROFILE_GROUPS, PROFILE_GROUPS_KEY } from "../components/hooks/profileGroups";
import { GITHUB_TEAMS_KEY } from "../components/hooks/githubTeams";
import { deepMerge } from "../components/util";
import { composeValues, ValuesInput } from "../components/z2jhValues";
import { readStackFile } from "../scripts/stackConfig";
import { assertChartAccepts } from "./chartSchema";
import { expectExactly, fleetWith, problemsOf } from "./configProblems";
import { awsCluster, awsFleet } from "./fixtures";

const POOLS = {
    core: { machineType: "r5.xlarge", minNodes: 1, maxNodes: 3 },
    user: { machineType: "r5.4xlarge", minNodes: 0, maxNodes: 20 },
    "gpu-t4": { machineType: "g4dn.xlarge", minNodes: 0, maxNodes: 4, gpu: { count: 1 } },
    "dask-workers": { machineType: "r5.2xlarge", minNodes: 0, maxNodes: 40, purpose: "dask", spot: true },
    public: { machineType: "r5.xlarge", minNodes: 0, maxNodes: 4, taints: [{ key: "community", value: "public", effect: "NoSchedule" }] },
};

/** Profiles as a research hub writes them: image and resource choices, some only for a team. */
const PROFILES = {
    cpu: {
        displayName: "CPU", default: true, nodePool: "user",
        options: {
            image: {
                allowUnlisted: { allowedGroups: ["example-org:hub-admins"] },
                choices: {
                    pangeo: { displayName: "Pangeo", image: "quay.io/pangeo/pangeo-notebook:2025.01.10", default: true },
                    ml: { displayName: "Pangeo ML", image: "quay.io/pangeo/ml-notebook:2025.01.10", allowedGroups: ["example-org:ml"] },
                },
            },
            resources: {
                choices: {
                    small: { displayName: "2 CPU, 14 GB", cpu: { guarantee: 1.5, limit: 2 }, memory: { guarantee: "14G", limit: "16G" }, default: true },
                    huge: { displayName: "15 CPU, 110 GB", cpu: { guarantee: 15, limit: 16 }, memory: { guarantee: "110G", limit: "120G" },
                        allowedGroups: ["example-org:big-data"] },
                },
            },
        },
    },
    gpu: { displayName: "GPU", nodePool: "gpu-t4", gpus: 1, memory: { guarantee: "12G", limit: "14G" }, allowedGroups: ["example-org:ml"] },
    public: { displayName: "Community", nodePool: "public" },
};

function fleet(hubOverrides: Record<string, unknown> = {}): any {
    const raw = awsFleet() as any;
    raw.clusters.uw2 = awsCluster({ nodePools: POOLS });
    raw.hubs.staging = { ...raw.hubs.staging, profiles: PROFILES, ...hubOverrides };
    return raw;
}

function parsed(hubOverrides: Record<string, unknown> = {}): HubSpec {
    return parseFleetConfig(fleet(hubOverrides), { stack: "staging", secretKeys: ["hubSecrets"] }).hubs.staging;
}

function values(hub: HubSpec): any {
    const input: ValuesInput = {
        hubKey: "staging", hub, home: { type: "none" }, platformEnv: {}, cloudMetadata: "block", userVolumes: [],
        hubExtraConfig: hubAuthHooks(hub), dedicatedNodePools: true, nodePools: POOLS as ValuesInput["nodePools"],
    };
    return composeValues(input);
}

const USER_TOLERATIONS = [
    { key: "hub.jupyter.org/dedicated", operator: "Equal", value: "user", effect: "NoSchedule" },
    { key: "hub.jupyter.org_dedicated", operator: "Equal", value: "user", effect: "NoSchedule" },
];

describe("profiles: the KubeSpawner profile list", () => {
    it("renders image and resource choices restricted to groups, and a GPU profile on its pool, as the chart accepts", () => {
        const composed = values(parsed());
        const [cpu, gpu, community] = composed.singleuser.profileList;
        assert.deepStrictEqual(cpu, {
            slug: "cpu", display_name: "CPU", default: true,
            kubespawner_override: { node_selector: { "jupyterhub-fleet/node-pool": "user" }, tolerations: USER_TOLERATIONS },
            profile_options: {
                image: {
                    display_name: "Image",
                    choices: {
                        pangeo: { display_name: "Pangeo", default: true, kubespawner_override: { image: "quay.io/pangeo/pangeo-notebook:2025.01.10" } },
                        ml: { display_name: "Pangeo ML", allowed_groups: ["example-org:ml"], kubespawner_override: { image: "quay.io/pangeo/ml-notebook:2025.01.10" } },
                    },
                    unlisted_choice: {
                        enabled: true, display_name: "Image (name:tag)", display_name_in_choices: "Other image…",
                        validation_regex: "^\\S+:\\S+$", validation_message: "Give an image as name:tag, e.g. quay.io/pangeo/pangeo-notebook:2025.01.10",
                        kubespawner_override: { image: "{value}" }, allowed_groups: ["example-org:hub-admins"],
                    },
                },
                resources: {
                    display_name: "Resource allocation",
                    choices: {
                        small: { display_name: "2 CPU, 14 GB", default: true,
                            kubespawner_override: { cpu_guarantee: 1.5, cpu_limit: 2, mem_guarantee: "14G", mem_limit: "16G" } },
                        huge: { display_name: "15 CPU, 110 GB", allowed_groups: ["example-org:big-data"],
                            kubespawner_override: { cpu_guarantee: 15, cpu_limit: 16, mem_guarantee: "110G", mem_limit: "120G" } },
                    },
                },
            },
        });
        assert.deepStrictEqual(gpu, {
            slug: "gpu", display_name: "GPU", allowed_groups: ["example-org:ml"],
            kubespawner_override: {
                mem_guarantee: "12G", mem_limit: "14G",
                node_selector: { "jupyterhub-fleet/node-pool": "gpu-t4" },
                tolerations: [...USER_TOLERATIONS, { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
                extra_resource_limits: { "nvidia.com/gpu": "1" },
            },
        });
        // A pool's own taints are tolerated by the profiles that run there.
        assert.deepStrictEqual(community.kubespawner_override.tolerations,
            [...USER_TOLERATIONS, { key: "community", operator: "Equal", value: "public", effect: "NoSchedule" }]);
        assertChartAccepts("the profile list", composed);
    });

    it("has GitHub fetch teams as groups and installs the group filter when a profile names groups", () => {
        const composed = values(parsed());
        assert.deepStrictEqual(composed.hub.config.GitHubOAuthenticator, {
            client_id: "Iv1.abc", oauth_callback_url: "https://staging.hub.example.org/hub/oauth_callback",
            allowed_organizations: ["example-org"], scope: ["read:org"], populate_teams_in_auth_state: true, manage_groups: true,
        });
        assert.ok(GITHUB_TEAMS_KEY in composed.hub.extraConfig);
        assert.strictEqual(composed.hub.extraConfig[PROFILE_GROUPS_KEY], PROFILE_GROUPS);
        // Without groups in any profile, neither the filter nor team fetching.
        const open = values(parsed({ profiles: { cpu: { displayName: "CPU" } } }));
        assert.strictEqual(open.hub.extraConfig, undefined);
        assert.deepStrictEqual(open.hub.config.GitHubOAuthenticator.manage_groups, undefined);
    });

    it("has an OIDC hub keep the groups claim as groups when only profiles name groups", () => {
        const composed = values(parsed({
            auth: {
                type: "oidc", clientId: "hub", authorizeUrl: "https://idp.example.org/auth", tokenUrl: "https://idp.example.org/token",
                userdataUrl: "https://idp.example.org/userinfo", allowedUsers: ["alice"], groupsClaim: "roles",
            },
            profiles: { cpu: { displayName: "CPU", default: true }, gpu: { displayName: "GPU", nodePool: "gpu-t4", gpus: 1, allowedGroups: ["gpu-users"] } },
        }));
        const section = composed.hub.config.GenericOAuthenticator;
        assert.strictEqual(section.manage_groups, true);
        assert.strictEqual(section.auth_state_groups_key, "oauth_user.roles");
        assert.strictEqual(composed.hub.extraConfig[PROFILE_GROUPS_KEY], PROFILE_GROUPS);
        assertChartAccepts("the OIDC hub", composed);
    });
});

/**
 * The filter as z2jh runs it: exec()d with `c.KubeSpawner.profile_list` already set from singleuser.profileList
 * (z2jh jupyterhub_config.py), then called per spawner as KubeSpawner calls a callable profile_list.
 */
function visibleFor(groups: string[]): { ok: true; profiles: any[] } | { ok: false; status: number; message: string } {
    const profileList = values(parsed()).singleuser.profileList;
    const driver = `
import json, sys, types
tornado = types.ModuleType("tornado"); web = types.ModuleType("tornado.web")
class HTTPError(Exception):
    def __init__(self, status, message):
        super().__init__(message); self.status = status
web.HTTPError = HTTPError; tornado.web = web; sys.modules["tornado"] = tornado; sys.modules["tornado.web"] = web
data = json.load(sys.stdin)
class Section: pass
class C: pass
c = C(); c.KubeSpawner = Section(); c.KubeSpawner.profile_list = data["profiles"]
exec(data["source"], {"c": c})
class Group:
    def __init__(self, name): self.name = name
spawner = types.SimpleNamespace(user=types.SimpleNamespace(groups=[Group(g) for g in data["groups"]]))
try:
    print(json.dumps({"ok": True, "profiles": c.KubeSpawner.profile_list(spawner)}))
except HTTPError as error:
    print(json.dumps({"ok": False, "status": error.status, "message": str(error)}))
`;
    const out = execFileSync("python3", ["-c", driver], { input: JSON.stringify({ profiles: profileList, source: PROFILE_GROUPS, groups }) });
    return JSON.parse(out.toString());
}

describe("profiles: the group filter, run by python3", () => {
    it("shows a team's members their profiles and choices, case-insensitively, and strips allowed_groups", () => {
        const result = visibleFor(["Example-Org:ML"]);
        assert.ok(result.ok);
        assert.deepStrictEqual(result.profiles.map(p => p.slug), ["cpu", "gpu", "public"]);
        const [cpu, gpu] = result.profiles;
        assert.deepStrictEqual(Object.keys(cpu.profile_options.image.choices), ["pangeo", "ml"]);
        assert.strictEqual(cpu.profile_options.image.unlisted_choice, undefined);
        assert.deepStrictEqual(Object.keys(cpu.profile_options.resources.choices), ["small"]);
        assert.strictEqual(JSON.stringify(result.profiles).includes("allowed_groups"), false);
        assert.deepStrictEqual(gpu.kubespawner_override.extra_resource_limits, { "nvidia.com/gpu": "1" });
    });

    it("hides restricted profiles and choices from everyone else", () => {
        const result = visibleFor(["example-org:hub-admins"]);
        assert.ok(result.ok);
        assert.deepStrictEqual(result.profiles.map(p => p.slug), ["cpu", "public"]);
        assert.deepStrictEqual(Object.keys(result.profiles[0].profile_options.image.choices), ["pangeo"]);
        assert.strictEqual(result.profiles[0].profile_options.image.unlisted_choice.enabled, true);
    });
});

describe("profiles: bad input", () => {
    const at = (mutate: (hub: any) => void) => problemsOf(fleetWith(f => {
        f.clusters.uw2 = awsCluster({ nodePools: POOLS });
        f.hubs.staging.profiles = JSON.parse(JSON.stringify(PROFILES));
        mutate(f.hubs.staging);
    }));

    it("accepts the research profiles", () => {
        assert.deepStrictEqual(at(() => undefined), []);
    });

    it("refuses a pool that is missing, not a user pool, or on an existing cluster, and the old nodeSelector", () => {
        expectExactly(at(hub => {
            hub.profiles.cpu.nodePool = "usr";
            hub.profiles.public.nodePool = "dask-workers";
            hub.profiles.core = { displayName: "Core", nodePool: "core" };
        }),
        "hubs.staging.profiles.cpu.nodePool: no node pool \"usr\" on cluster uw2 (did you mean user?)",
        "hubs.staging.profiles.public.nodePool: pool dask-workers of cluster uw2 is a dask pool, and this needs a user pool (use one of: user, gpu-t4, public)",
        "hubs.staging.profiles.core.nodePool: pool core of cluster uw2 is a core pool, and this needs a user pool (use one of: user, gpu-t4, public)");
        // The raw node selector of before: refused with how to migrate (the schema's problem stops the hub's other checks).
        expectExactly(at(hub => { hub.profiles.core = { displayName: "Core", nodeSelector: { "node.kubernetes.io/instance-type": "r5.xlarge" } }; }),
        "hubs.staging.profiles.core.nodeSelector: a map is not taken any more: a profile names its pool with nodePool (write nodePool: <key of a user pool " +
            "of the hub's cluster>; every pool's nodes carry the label jupyterhub-fleet/node-pool: <pool key>, and the fleet adds the tolerations the pool needs)");
        const local = problemsOf({
            clusters: { laptop: { provider: "kubernetes", local: true, homeStorage: { type: "dynamic" } } },
            hubs: { lab: { cluster: "laptop", auth: { type: "dummy" }, profiles: { cpu: { displayName: "CPU", nodePool: "user" } } } },
        });
        expectExactly(local, "hubs.lab.profiles.cpu.nodePool: cluster laptop is an existing cluster, and only pools the fleet creates carry " +
            "the jupyterhub-fleet/node-pool label (remove it; servers run on the cluster's nodes as they are)");
    });

    it("refuses GPUs without a GPU pool, more GPUs than a node has, and a GPU pool without GPUs", () => {
        expectExactly(at(hub => {
            hub.profiles.cpu.gpus = 1;
            hub.profiles.gpu.gpus = 2;
            hub.profiles.public = { displayName: "Community", gpus: 1 };
            hub.profiles.t4 = { displayName: "T4", nodePool: "gpu-t4" };
        }),
        "hubs.staging.profiles.cpu.gpus: pool user has no GPUs (set nodePool to a GPU pool (use one of: gpu-t4), or add gpu: { count: … } to clusters.uw2.nodePools.user)",
        "hubs.staging.profiles.gpu.gpus: asks for 2 GPUs, and a node of pool gpu-t4 has 1 (lower it to at most 1, or use a pool with more GPUs per node)",
        "hubs.staging.profiles.public.gpus: needs nodePool: GPUs are on GPU pools only (add nodePool naming a GPU pool; use one of: gpu-t4)",
        "hubs.staging.profiles.t4.nodePool: pool gpu-t4 is a GPU pool, where only servers that ask for GPUs may run (its nodes are tainted) (add gpus: 1, or use a pool without GPUs)");
    });

    it("wants exactly one default among profiles and among each option's choices", () => {
        expectExactly(at(hub => {
            hub.profiles.gpu.default = true;
            hub.profiles.cpu.options.image.choices.ml.default = true;
            delete hub.profiles.cpu.options.resources.choices.small.default;
        }),
        "hubs.staging.profiles: 2 profiles are marked default (cpu, gpu) (mark one)",
        "hubs.staging.profiles.cpu.options.image.choices: 2 image choices are marked default (pangeo, ml) (mark one)",
        "hubs.staging.profiles.cpu.options.resources.choices: none of the 2 resource choices is marked default (mark one with default: true (small, huge))");
    });

    it("refuses resources larger than the pool's machine type, after what the node keeps for itself", () => {
        expectExactly(at(hub => {
            hub.profiles.cpu.options.resources.choices.huge.memory = { guarantee: "126G", limit: "130G" };
            hub.profiles.gpu.memory = { guarantee: "16G" };
            hub.profiles.public.cpu = { guarantee: 4 };
        }),
        "hubs.staging.profiles.cpu.options.resources.choices.huge.memory.guarantee: guarantees 126 GiB, more than a node of pool user (r5.4xlarge) keeps for pods " +
            "(125.1 of 128 GiB; the rest is reserved for the kubelet and system), so it never starts (lower it, or run it on a pool of a larger machine type)",
        "hubs.staging.profiles.cpu.options.resources.choices.huge.memory.limit: is 130 GiB, more than the 128 GiB of a node of pool user (r5.4xlarge) " +
            "(lower it to at most 128, or run it on a pool of a larger machine type)",
        "hubs.staging.profiles.gpu.memory.guarantee: guarantees 16 GiB, more than a node of pool gpu-t4 (g4dn.xlarge) keeps for pods " +
            "(15.3 of 16 GiB; the rest is reserved for the kubelet and system), so it never starts (lower it, or run it on a pool of a larger machine type)",
        "hubs.staging.profiles.public.cpu.guarantee: guarantees 4 CPUs, more than a node of pool public (r5.xlarge) keeps for pods " +
            "(3.9 of 4 CPUs; the rest is reserved for the kubelet and system), so it never starts (lower it, or run it on a pool of a larger machine type)");
    });

    it("sizes a profile without a pool against every user pool it may land on", () => {
        expectExactly(at(hub => {
            hub.profiles.public = { displayName: "Big", memory: { guarantee: "200G" } };
        }), "hubs.staging.profiles.public.memory.guarantee: guarantees 200 GiB, more than a node of pool user (r5.4xlarge) keeps for pods " +
            "(125.1 of 128 GiB; the rest is reserved for the kubelet and system), so it never starts (lower it, or run it on a pool of a larger machine type)");
        const twoPools = problemsOf(fleetWith(f => {
            f.clusters.uw2 = awsCluster({ nodePools: { ...POOLS, "user-small": { machineType: "r5.large", minNodes: 0, maxNodes: 4 } } });
            f.hubs.staging.profiles = { big: { displayName: "Big", cpu: { guarantee: 16 } } };
        }));
        expectExactly(twoPools, "hubs.staging.profiles.big.cpu.guarantee: guarantees 16 CPUs, more than a node of any of its pools " +
            "(pool user (r5.4xlarge), pool user-small (r5.large)) keeps for pods (15.8 of 16 CPUs; the rest is reserved for the kubelet and system), " +
            "so it never starts (lower it, or add a user pool of a larger machine type)");
    });

    it("refuses a resource choice whose guarantee is above the limit it has or inherits", () => {
        expectExactly(at(hub => {
            hub.profiles.cpu.cpu = { limit: 2 };
            hub.profiles.cpu.options.resources.choices.small.cpu = { guarantee: 3 };
        }), "hubs.staging.profiles.cpu.options.resources.choices.small.cpu: guarantee 3 is above limit 2 (give the choice a guarantee at or below its limit)");
    });

    it("refuses GitHub groups that are not teams, empty options and an image the choices override", () => {
        expectExactly(at(hub => {
            hub.profiles.gpu.allowedGroups = ["ml"];
            hub.profiles.gpu.image = "quay.io/pangeo/ml-notebook:2025.01.10";
            hub.profiles.cpu.image = "quay.io/pangeo/pangeo-notebook:2025.01.10";
            hub.profiles.public.options = { image: { choices: {} }, resources: { choices: {} } };
        }),
        "hubs.staging.profiles.gpu.allowedGroups[0]: \"ml\" is not a GitHub team, and on a GitHub hub a user's groups are their teams " +
            "(write org:team-slug with the slug from the team's URL, github.com/orgs/<org>/teams/<team-slug>)",
        "hubs.staging.profiles.cpu.image: is overridden by every choice of options.image (remove it, or remove options.image)",
        "hubs.staging.profiles.public.options.image.choices: offers no image (add choices, or allowUnlisted: true for a free image field)",
        "hubs.staging.profiles.public.options.resources.choices: offers no choice (add choices, each with displayName, cpu and memory, or remove options.resources)");
    });

    it("refuses an untagged image choice", () => {
        expectExactly(at(hub => { hub.profiles.cpu.options.image.choices.ml.image = "quay.io/pangeo/ml-notebook"; }),
            "hubs.staging.profiles.cpu.options.image.choices.ml.image: string \"quay.io/pangeo/ml-notebook\" has no tag or digest, " +
            "and an untagged image changes under users (write it like quay.io/pangeo/pangeo-notebook:2025.01.10)");
    });
});

describe("machine types", () => {
    it("keeps back what EKS and GKE reserve for the kubelet and system", () => {
        // EKS: 255 MiB + 11 MiB per pod (234 on r5.4xlarge) and the 100 MiB eviction threshold.
        const eks = allocatable("aws", MACHINE_TYPES.aws["r5.4xlarge"]);
        assert.strictEqual(Math.round(eks.memoryGiB * 1024), 128 * 1024 - (255 + 11 * 234) - 100);
        // GKE: 25% of 4 GiB, 20% of 4, 10% of 8, 6% of 112 (the rest of 128), plus eviction.
        const gke = allocatable("gcp", MACHINE_TYPES.gcp["n2-highmem-16"]);
        assert.strictEqual(Math.round(gke.memoryGiB * 1000), Math.round((128 - (1 + 0.8 + 0.8 + 6.72) - 100 / 1024) * 1000));
        // CPU: 6% of the first core, 1% of the second, 0.5% of the next two, 0.25% of the 12 above four.
        assert.strictEqual(Math.round(gke.cpu * 1000), Math.round((16 - 0.06 - 0.01 - 0.01 - 0.03) * 1000));
    });
});

describe("profiles: the README's runbook", () => {
    it("is config the prod stack takes as it is written", () => {
        const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
        const section = readme.slice(readme.indexOf("### Profiles and dask"));
        const snippet = parseYaml(/```yaml\n([\s\S]*?)```/.exec(section)![1]) as Record<string, unknown>;
        const { config } = readStackFile("prod", path.join(__dirname, ".."));
        const raw = Object.fromEntries(Object.entries(config).map(([key, value]) => [key.replace(/^jupyterhub-fleet:/, ""), JSON.parse(value)]));
        const merged = deepMerge(raw, Object.fromEntries(Object.entries(snippet).map(([key, value]) => [key.replace(/^jupyterhub-fleet:/, ""), value])));
        const hub = parseFleetConfig(merged, { stack: "prod", secretKeys: ["hubSecrets", "clusterSecrets"] }).hubs.research;
        assert.deepStrictEqual([hub.profiles.gpu.nodePool, hub.profiles.gpu.gpus, hub.daskGateway?.workerPool], ["gpu-t4", 1, "dask-workers"]);
    });
});
