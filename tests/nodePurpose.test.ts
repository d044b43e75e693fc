/**
 * The node-purpose contract on the clusters whose pools the fleet creates (AWS, GCP, OVH): z2jh's
 * `scheduling.userPods.nodeAffinity.matchNodePurpose` / `corePods` set to `require` make user servers need
 * `hub.jupyter.org/node-purpose=user` and the hub and proxy `=core`, so every pool must carry the label of its
 * purpose; user pools repel everything else with z2jh's dedicated taint, and core pools carry no taint so the
 * system pods (CoreDNS, the cluster autoscaler, add-on controllers) keep a place to run.
 *
 * Each cloud's pool settings come from the pure functions its component registers (the mocked suites check
 * the wiring); scheduling is modeled as the Kubernetes scheduler decides it (below).
 */
import * as assert from "assert";
import { NodePoolSpec } from "../components/config";
import { nodeGroupSettings } from "../components/aws/cluster";
import { clusterAutoscalerValues } from "../components/aws/clusterAutoscaler";
import { nodePoolSettings } from "../components/gcp/gke";
import { nodePoolTemplate } from "../components/ovh/kubeSpec";
import { NODE_PURPOSE_LABEL } from "../components/platform";
import { Node, Pod, schedulable, Taint, Toleration, tolerates } from "./scheduling";

/** z2jh 4.4 values.yaml `scheduling.{userPods,corePods}.tolerations`, with `matchNodePurpose: require`. */
const z2jhPod = (purpose: "user" | "core"): Pod => ({
    tolerations: ["hub.jupyter.org/dedicated", "hub.jupyter.org_dedicated"].map(key => ({ key, operator: "Equal" as const, value: purpose, effect: "NoSchedule" })),
    requiredLabels: { [NODE_PURPOSE_LABEL]: purpose },
});

/** CoreDNS (GKE's kube-dns alike) and most add-on controllers tolerate CriticalAddonsOnly and select no pool. */
const CORE_DNS: Pod = { tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }], requiredLabels: {} };

/** The cluster autoscaler as the AWS platform deploys it (components/aws/cluster.ts passes the core selector). */
function clusterAutoscalerPod(): Pod {
    const values = clusterAutoscalerValues({
        clusterName: "c", region: "us-west-2", kubernetesVersion: "1.33", roleArn: "arn:aws:iam::1:role/c-autoscaler",
        nodeSelector: { [NODE_PURPOSE_LABEL]: "core" },
    }) as { nodeSelector?: Record<string, string>; tolerations?: Toleration[] };
    return { tolerations: values.tolerations ?? [], requiredLabels: values.nodeSelector ?? {} };
}

/** Every kind of pool a config can hold, by key, with the purpose it must get. */
const POOLS: Record<string, { spec: NodePoolSpec; purpose: "core" | "user" }> = {
    core: { spec: { machineType: "m", minNodes: 1, maxNodes: 3 }, purpose: "core" },
    system: { spec: { machineType: "m", minNodes: 1, maxNodes: 2, purpose: "core" }, purpose: "core" },
    user: { spec: { machineType: "m", minNodes: 0, maxNodes: 20 }, purpose: "user" },
    dask: { spec: { machineType: "m", minNodes: 0, maxNodes: 50, purpose: "user" }, purpose: "user" },
    spot: { spec: { machineType: "m", minNodes: 0, maxNodes: 20, spot: true }, purpose: "user" },
};

/** EKS and GKE spell taint effects in API enum form. */
const effectOf = (effect: string) => ({ NO_SCHEDULE: "NoSchedule", NO_EXECUTE: "NoExecute", PREFER_NO_SCHEDULE: "PreferNoSchedule" })[effect] ?? effect;

/**
 * The node each cloud's pool settings produce (spot pools exist on AWS only: the config refuses them elsewhere),
 * and the system pods that must find a core node. GKE and OVH run their node autoscalers outside the cluster.
 */
const CLOUDS: Record<string, { userTaintKey: string; systemPods: Record<string, Pod>; node(key: string, pool: NodePoolSpec): Node | undefined }> = {
    aws: {
        userTaintKey: "hub.jupyter.org/dedicated",
        systemPods: { "CoreDNS": CORE_DNS, "the cluster autoscaler": clusterAutoscalerPod() },
        node: (key, pool) => {
            const settings = nodeGroupSettings(key, pool, pool.minNodes);
            return { labels: settings.labels, taints: settings.taints.map(t => ({ ...t, effect: effectOf(t.effect) })) };
        },
    },
    gcp: {
        userTaintKey: "hub.jupyter.org_dedicated",
        systemPods: { "kube-dns": CORE_DNS },
        node: (key, pool) => {
            if (pool.spot) return undefined;
            const settings = nodePoolSettings(key, pool);
            return { labels: settings.labels, taints: settings.taints.map(t => ({ ...t, effect: effectOf(t.effect) })) };
        },
    },
    ovh: {
        userTaintKey: "hub.jupyter.org/dedicated",
        systemPods: { "CoreDNS": CORE_DNS },
        node: (key, pool) => {
            if (pool.spot) return undefined;
            const template = nodePoolTemplate(key, pool) as unknown as {
                metadata: { labels: Record<string, string> }; spec: { taints: Taint[] };
            };
            return { labels: template.metadata.labels, taints: template.spec.taints };
        },
    },
};

for (const [cloud, { userTaintKey, systemPods, node }] of Object.entries(CLOUDS)) {
    describe(`node purpose on ${cloud} pools`, () => {
        const nodes = Object.entries(POOLS).flatMap(([key, { spec, purpose }]) => {
            const built = node(key, spec);
            return built ? [{ key, purpose, node: built }] : [];
        });

        it(`labels every pool with its purpose (${nodes.map(n => n.key).join(", ")})`, () => {
            assert.deepStrictEqual(Object.fromEntries(nodes.map(n => [n.key, n.node.labels[NODE_PURPOSE_LABEL]])),
                Object.fromEntries(nodes.map(n => [n.key, n.purpose])));
        });

        it(`taints user pools ${userTaintKey}=user:NoSchedule and core pools not at all`, () => {
            for (const { key, purpose, node: n } of nodes) {
                assert.deepStrictEqual(n.taints, purpose === "user" ? [{ key: userTaintKey, value: "user", effect: "NoSchedule" }] : [], key);
            }
        });

        it("with matchNodePurpose: require, places user servers only on user pools and the hub and proxy only on core pools", () => {
            for (const { key, purpose, node: n } of nodes) {
                assert.strictEqual(schedulable(z2jhPod("user"), n), purpose === "user", `user server on ${key}`);
                assert.strictEqual(schedulable(z2jhPod("core"), n), purpose === "core", `hub on ${key}`);
            }
        });

        it(`leaves core pools open to ${Object.keys(systemPods).join(" and ")}, which user pools repel`, () => {
            for (const { key, purpose, node: n } of nodes) {
                for (const [name, pod] of Object.entries(systemPods)) {
                    assert.strictEqual(schedulable(pod, n), purpose === "core", `${name} on ${key}`);
                }
            }
        });
    });
}

describe("the scheduling model", () => {
    it("follows Kubernetes' toleration rules", () => {
        const taint = { key: "k", value: "v", effect: "NoSchedule" };
        assert.strictEqual(tolerates({ key: "k", operator: "Equal", value: "v", effect: "NoSchedule" }, taint), true);
        assert.strictEqual(tolerates({ key: "k", operator: "Equal", value: "w" }, taint), false);
        assert.strictEqual(tolerates({ key: "k", operator: "Exists" }, taint), true);
        assert.strictEqual(tolerates({ operator: "Exists" }, taint), true, "an empty key with Exists tolerates every taint");
        assert.strictEqual(tolerates({ key: "k", operator: "Exists", effect: "NoExecute" }, taint), false);
        assert.strictEqual(schedulable({ tolerations: [], requiredLabels: {} }, { labels: {}, taints: [{ key: "p", effect: "PreferNoSchedule" }] }), true);
    });
});
