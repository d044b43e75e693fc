/**
 * Rules for what a hub's users run and where: profiles (pools, GPUs, defaults, sizes against the pool's
 * machine type) and dask-gateway (its worker pool and limits), each checked against the hub's cluster.
 */
import { closestMatch } from "../util";
import { NodePoolSpec, nodePoolPurpose, NodePoolPurpose } from "./clusterFields";
import { ClusterSpec } from "./clusters";
import { PathPart, Problems } from "./errors";
import { CpuSpec, GITHUB_TEAM, HubSpec, MemorySpec } from "./hub";
import { allocatable, machineType } from "./machineTypes";

const GIB = 1024 ** 3;

/** Bytes in a KubeSpawner memory quantity (a number of bytes, or "4G", "512Mi"…: K, M, G, T are powers of 1024 there); undefined when unreadable. */
export function bytes(quantity: unknown): number | undefined {
    if (typeof quantity === "number") return quantity;
    const match = typeof quantity === "string" ? /^(\d+(?:\.\d+)?)([KMGT]i?)?$/.exec(quantity) : null;
    return match ? Number(match[1]) * 1024 ** (match[2] ? "KMGT".indexOf(match[2][0]) + 1 : 0) : undefined;
}

type Pools = Readonly<Record<string, NodePoolSpec>>;

/** Keys of the pools with one of `purposes`. */
function poolsFor(pools: Pools, purposes: readonly NodePoolPurpose[]): string[] {
    return Object.keys(pools).filter(key => purposes.includes(nodePoolPurpose(key, pools[key])));
}

/** The pool `poolKey` names if it exists with one of `purposes`; a problem at `at` otherwise. */
function poolRef(at: readonly PathPart[], poolKey: string, purposes: readonly NodePoolPurpose[], clusterKey: string, cluster: ClusterSpec,
    problems: Problems): NodePoolSpec | undefined {
    if (cluster.provider === "kubernetes") {
        problems.add(at, `cluster ${clusterKey} is an existing cluster, and only pools the fleet creates carry the jupyterhub-fleet/node-pool label`,
            "remove it; servers run on the cluster's nodes as they are");
        return undefined;
    }
    const pools = cluster.nodePools;
    // A cluster entry with problems of its own has no pools to check against.
    if (!pools) return undefined;
    const fitting = poolsFor(pools, purposes);
    const pool = pools[poolKey];
    if (!pool) {
        const guess = closestMatch(poolKey, fitting);
        problems.add(at, `no node pool "${poolKey}" on cluster ${clusterKey}`,
            guess ? `did you mean ${guess}?` : fitting.length ? `use one of: ${fitting.join(", ")}` : `add it under clusters.${clusterKey}.nodePools`);
        return undefined;
    }
    const purpose = nodePoolPurpose(poolKey, pool);
    if (!purposes.includes(purpose)) {
        problems.add(at, `pool ${poolKey} of cluster ${clusterKey} is a ${purpose} pool, and this needs a ${purposes.join(" or ")} pool`,
            fitting.length ? `use one of: ${fitting.join(", ")}` : `add a ${purposes[0]} pool under clusters.${clusterKey}.nodePools`);
        return undefined;
    }
    return pool;
}

interface Resources {
    readonly cpu?: CpuSpec;
    readonly memory?: MemorySpec;
}

/**
 * A guarantee above what a node of every pool the server may run on keeps for pods never schedules; a limit
 * above the machine's size means nothing. Pools of a machine type the table does not know skip the check.
 */
/** One node of a pool the server may run on: its size, and what it keeps for pods. */
interface PoolNode {
    readonly key: string;
    readonly machineType: string;
    readonly size: { readonly cpu: number; readonly memoryGiB: number };
    readonly free: { readonly cpu: number; readonly memoryGiB: number };
}

function checkFits(at: readonly PathPart[], wanted: Resources, poolKeys: readonly string[], cluster: ClusterSpec, problems: Problems): void {
    if (cluster.provider === "kubernetes" || !cluster.nodePools || poolKeys.length === 0) return;
    const nodes: PoolNode[] = [];
    for (const key of poolKeys) {
        const name = cluster.nodePools[key].machineType;
        const type = machineType(cluster.provider, name);
        if (!type) return;
        nodes.push({ key, machineType: name, size: { cpu: type.vcpu, memoryGiB: type.memoryGiB }, free: allocatable(cluster.provider, type) });
    }
    const where = (node: PoolNode) => `pool ${node.key} (${node.machineType})`;
    const pools = nodes.length === 1 ? `a node of ${where(nodes[0])}` : `a node of any of its pools (${nodes.map(where).join(", ")})`;
    const larger = nodes.length === 1 ? "run it on a pool of a larger machine type" : "add a user pool of a larger machine type";
    // Down, so a shown amount is never more than the node keeps; the epsilon absorbs float error (3.9 as 3.8999…).
    const round = (n: number) => Math.floor(n * 10 + 1e-9) / 10;
    const gib = (quantity: unknown) => quantity === undefined ? undefined : (bytes(quantity) ?? 0) / GIB;
    const kinds = [
        { name: "cpu", unit: " CPUs", amount: "cpu", guarantee: wanted.cpu?.guarantee, limit: wanted.cpu?.limit },
        { name: "memory", unit: " GiB", amount: "memoryGiB", guarantee: gib(wanted.memory?.guarantee), limit: gib(wanted.memory?.limit) },
    ] as const;
    for (const kind of kinds) {
        const biggest = nodes.reduce((a, b) => b.free[kind.amount] > a.free[kind.amount] ? b : a);
        const free = biggest.free[kind.amount];
        const size = biggest.size[kind.amount];
        if (kind.guarantee !== undefined && kind.guarantee > free) {
            problems.add([...at, kind.name, "guarantee"], `guarantees ${round(kind.guarantee)}${kind.unit}, more than ${pools} keeps for pods ` +
                `(${round(free)} of ${size}${kind.unit}; the rest is reserved for the kubelet and system), so it never starts`,
                `lower it, or ${larger}`);
        }
        if (kind.limit !== undefined && kind.limit > size) {
            problems.add([...at, kind.name, "limit"], `is ${round(kind.limit)}${kind.unit}, more than the ${size}${kind.unit} of ${pools}`,
                `lower it to at most ${size}, or ${larger}`);
        }
    }
}

/** Exactly one default among two or more entries: KubeSpawner would otherwise preselect the first, or several. */
function checkOneDefault(at: readonly PathPart[], entries: Readonly<Record<string, { readonly default?: boolean }>>, what: string, problems: Problems): void {
    const keys = Object.keys(entries);
    const defaults = keys.filter(key => entries[key].default);
    if (defaults.length > 1) {
        problems.add(at, `${defaults.length} ${what} are marked default (${defaults.join(", ")})`, "mark one");
    } else if (defaults.length === 0 && keys.length > 1) {
        problems.add(at, `none of the ${keys.length} ${what} is marked default`, `mark one with default: true (${keys.join(", ")})`);
    }
}

/**
 * On a GitHub hub a user's groups are their teams, `org:team-slug` (components/hooks/githubTeams.ts): any other
 * name would match nobody. Other auth types take any name (an OIDC groups claim, or groups admins manage).
 */
function checkGroupNames(hub: HubSpec, at: readonly PathPart[], groups: readonly string[] | undefined, problems: Problems): void {
    if (hub.auth.type !== "github") return;
    (groups ?? []).forEach((group, i) => {
        if (!GITHUB_TEAM.test(group)) {
            problems.add([...at, i], `"${group}" is not a GitHub team, and on a GitHub hub a user's groups are their teams`,
                "write org:team-slug with the slug from the team's URL, github.com/orgs/<org>/teams/<team-slug>");
        }
    });
}

export function checkProfiles(hub: HubSpec, clusterKey: string, cluster: ClusterSpec, path: readonly PathPart[], problems: Problems): void {
    const profilesPath = [...path, "profiles"];
    checkOneDefault(profilesPath, hub.profiles, "profiles", problems);
    const pools: Pools = cluster.provider === "kubernetes" ? {} : cluster.nodePools ?? {};
    const gpuPools = Object.keys(pools).filter(key => pools[key].gpu && nodePoolPurpose(key, pools[key]) === "user");
    for (const [slug, profile] of Object.entries(hub.profiles)) {
        const at = [...profilesPath, slug];
        checkGroupNames(hub, [...at, "allowedGroups"], profile.allowedGroups, problems);
        const unlisted = profile.options?.image?.allowUnlisted;
        checkGroupNames(hub, [...at, "options", "image", "allowUnlisted", "allowedGroups"], typeof unlisted === "object" ? unlisted.allowedGroups : undefined, problems);
        for (const [kind, choices] of [["image", profile.options?.image?.choices], ["resources", profile.options?.resources?.choices]] as const) {
            for (const [choiceKey, choice] of Object.entries(choices ?? {})) {
                checkGroupNames(hub, [...at, "options", kind, "choices", choiceKey, "allowedGroups"], choice.allowedGroups, problems);
            }
        }
        const pool = profile.nodePool === undefined ? undefined
            : poolRef([...at, "nodePool"], profile.nodePool, ["user"], clusterKey, cluster, problems);
        const gpuFix = gpuPools.length ? `use one of: ${gpuPools.join(", ")}` : `add a pool with gpu: { count: 1 } under clusters.${clusterKey}.nodePools`;
        if (profile.gpus !== undefined && profile.nodePool === undefined) {
            problems.add([...at, "gpus"], "needs nodePool: GPUs are on GPU pools only", `add nodePool naming a GPU pool; ${gpuFix}`);
        } else if (profile.gpus !== undefined && pool && !pool.gpu) {
            problems.add([...at, "gpus"], `pool ${profile.nodePool} has no GPUs`,
                `set nodePool to a GPU pool (${gpuFix}), or add gpu: { count: … } to clusters.${clusterKey}.nodePools.${profile.nodePool}`);
        } else if (profile.gpus !== undefined && pool?.gpu && profile.gpus > pool.gpu.count) {
            problems.add([...at, "gpus"], `asks for ${profile.gpus} GPUs, and a node of pool ${profile.nodePool} has ${pool.gpu.count}`,
                `lower it to at most ${pool.gpu.count}, or use a pool with more GPUs per node`);
        } else if (profile.gpus === undefined && pool?.gpu) {
            problems.add([...at, "nodePool"], `pool ${profile.nodePool} is a GPU pool, where only servers that ask for GPUs may run (its nodes are tainted)`,
                "add gpus: 1, or use a pool without GPUs");
        }
        // Without nodePool a server can land on any user pool whose taints it tolerates: not GPU or own-tainted ones.
        const poolKeys = pool ? [profile.nodePool!] : profile.nodePool === undefined ? Object.keys(pools).filter(key =>
            nodePoolPurpose(key, pools[key]) === "user" && !pools[key].gpu && !pools[key].taints?.length) : [];
        const inherited: Resources = {
            cpu: { ...hub.userResources.cpu, ...profile.cpu },
            memory: { ...hub.userResources.memory, ...profile.memory },
        };
        if (profile.cpu || profile.memory) checkFits(at, inherited, poolKeys, cluster, problems);

        const image = profile.options?.image;
        if (image) {
            const imagePath = [...at, "options", "image"];
            if (Object.keys(image.choices).length === 0 && image.allowUnlisted === false) {
                problems.add([...imagePath, "choices"], "offers no image", "add choices, or allowUnlisted: true for a free image field");
            }
            if (Object.keys(image.choices).length > 0 && profile.image !== undefined) {
                problems.add([...at, "image"], "is overridden by every choice of options.image", "remove it, or remove options.image");
            }
            checkOneDefault([...imagePath, "choices"], image.choices, "image choices", problems);
        }
        const resources = profile.options?.resources;
        if (resources) {
            const choicesPath = [...at, "options", "resources", "choices"];
            if (Object.keys(resources.choices).length === 0) {
                problems.add(choicesPath, "offers no choice", "add choices, each with displayName, cpu and memory, or remove options.resources");
            }
            checkOneDefault(choicesPath, resources.choices, "resource choices", problems);
            for (const [choiceKey, choice] of Object.entries(resources.choices)) {
                checkFits([...choicesPath, choiceKey], {
                    cpu: { ...inherited.cpu, ...choice.cpu },
                    memory: { ...inherited.memory, ...choice.memory },
                }, poolKeys, cluster, problems);
            }
        }
    }
}

export function checkDaskGateway(hub: HubSpec, clusterKey: string, cluster: ClusterSpec, path: readonly PathPart[], problems: Problems): void {
    const dask = hub.daskGateway;
    if (!dask) return;
    const at = [...path, "daskGateway"];
    if (hub.auth.type === "ephemeral") {
        problems.add(at, "would let every visitor of a public (ephemeral) hub start dask clusters on the cluster's nodes",
            "remove it; run dask-gateway on a hub with logins");
    }
    if (dask.workerPool !== undefined) {
        poolRef([...at, "workerPool"], dask.workerPool, ["dask", "user"], clusterKey, cluster, problems);
    }
    if (dask.maxMemory !== undefined && !((bytes(dask.maxMemory) ?? 0) > 0)) {
        problems.add([...at, "maxMemory"], "is not a positive amount", "write it like 256G");
    }
}
