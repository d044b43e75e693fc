/**
 * Node pools beyond purpose (issue 13): GPU pools that can run a pod requesting `nvidia.com/gpu`, dask worker
 * pools only dask-gateway's pods land on, a pool's own labels, taints and zones, and every bad input refused with
 * its path and fix. The prod example stack is run once under mocks (recorded inputs); the scheduling decisions
 * use the shared model in ./scheduling, and the cloud behaviour that decides success is modeled where cited.
 */
import * as assert from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { FleetConfigError, NodePoolSpec, parseFleetConfig } from "../components/config";
import { nodeGroupSettings } from "../components/aws/cluster";
import { devicePluginValues } from "../components/aws/devicePlugin";
import { AWS_GPU_LABEL, autoscalerTemplateTags, eksPoolScheduling } from "../components/aws/gpuNodes";
import { nodePoolSettings } from "../components/gcp/gke";
import { gpuOperatorValues } from "../components/ovh/gpuOperator";
import { nodePoolTemplate, poolAvailabilityZones } from "../components/ovh/kubeSpec";
import { DASK_WORKER_TAINT, GPU_TAINT, NODE_POOL_LABEL } from "../components/platform";
import { diffPlans, PlanJsonResource } from "../scripts/planReport";
import { makeUrn } from "../scripts/planRun";
import { readStackFile } from "../scripts/stackConfig";
import { MockRecorder, RecordedResource, settleRegistrations, useMocks } from "./harness";
import { Node, Pod, schedulable, Taint } from "./scheduling";

const ROOT = path.join(__dirname, "..");

/** A node as the scheduler sees it, with the GPUs it advertises (only a running device plugin advertises any). */
interface GpuNode extends Node { readonly gpus: number }

/**
 * A user server asking for GPUs on a pool, as a GPU profile must spawn it: z2jh's user tolerations, a toleration
 * of the GPU taint (KubeSpawner adds none by itself; the profile sets it, and GKE's ExtendedResourceToleration
 * admission plugin would add the same for a GPU request), and the pool selected by the fleet's pool label.
 */
function gpuServer(poolKey: string, gpus: number): Pod & { gpus: number } {
    return {
        tolerations: [
            ...["hub.jupyter.org/dedicated", "hub.jupyter.org_dedicated"].map(key => ({ key, operator: "Equal" as const, value: "user", effect: "NoSchedule" })),
            { key: GPU_TAINT.key, operator: "Exists", effect: "NoSchedule" },
        ],
        requiredLabels: { [NODE_POOL_LABEL]: poolKey },
        gpus,
    };
}

/** A dask-gateway worker on the worker pool: it tolerates the dask taint and selects the pool. */
const daskWorker = (poolKey: string): Pod => ({
    tolerations: [{ key: DASK_WORKER_TAINT.key, operator: "Equal", value: DASK_WORKER_TAINT.value, effect: "NoSchedule" }],
    requiredLabels: { [NODE_POOL_LABEL]: poolKey },
});

/** A plain user server (z2jh user tolerations, no pool selected). */
const cpuServer: Pod = {
    tolerations: ["hub.jupyter.org/dedicated", "hub.jupyter.org_dedicated"].map(key => ({ key, operator: "Equal" as const, value: "user", effect: "NoSchedule" })),
    requiredLabels: {},
};

function runs(pod: Pod & { gpus?: number }, node: GpuNode): boolean {
    return schedulable(pod, node) && (pod.gpus ?? 0) <= node.gpus;
}

/**
 * The node kubernetes/autoscaler builds for an EKS Auto Scaling group with no node
 * (cluster-autoscaler/cloudprovider/aws/aws_manager.go `buildNodeFromTemplate`): labels and taints from the
 * group's `k8s.io/cluster-autoscaler/node-template/{label,taint}/` tags (`extractTaintsFromAsg` splits the value
 * at the first ':' into value and effect), then the managed node group's labels and taints from
 * `DescribeNodegroup` (aws_wrapper.go `getManagedNodegroupInfo`, which keeps EKS's `NO_SCHEDULE` spelling), and
 * `nvidia.com/gpu` capacity from the instance type or the `resources/` tag.
 */
function autoscalerTemplateNode(asgTags: Record<string, string>, nodegroup: ReturnType<typeof nodeGroupSettings>): GpuNode {
    const prefix = "k8s.io/cluster-autoscaler/node-template/";
    const labels: Record<string, string> = {};
    const taints: Taint[] = [];
    let gpus = 0;
    for (const [key, value] of Object.entries(asgTags)) {
        if (key.startsWith(`${prefix}label/`)) labels[key.slice(`${prefix}label/`.length)] = value;
        const effect = /^(.*):(NoSchedule|NoExecute|PreferNoSchedule)$/.exec(value);
        if (key.startsWith(`${prefix}taint/`) && effect) taints.push({ key: key.slice(`${prefix}taint/`.length), value: effect[1], effect: effect[2] });
        if (key === `${prefix}resources/nvidia.com/gpu`) gpus = Number(value);
    }
    return {
        labels: { ...labels, ...nodegroup.labels },
        taints: [...taints, ...nodegroup.taints],
        gpus,
    };
}

function configErrors(clusters: Record<string, unknown>): string[] {
    try {
        parseFleetConfig({ clusters, hubs: {} }, { stack: "test" });
        return [];
    } catch (error) {
        if (error instanceof FleetConfigError) return [...error.problems];
        throw error;
    }
}

const CORE = { machineType: "m5.large", minNodes: 1, maxNodes: 2 };
const USER = { machineType: "m5.xlarge", minNodes: 0, maxNodes: 4 };
const aws = (nodePools: Record<string, unknown>) => ({
    uw2: { provider: "aws", region: "us-west-2", kubernetesVersion: "1.33", nodePools: { core: CORE, user: USER, ...nodePools } },
});
const gcp = (nodePools: Record<string, unknown>) => ({
    gke: {
        provider: "gcp", project: "example-project", region: "us-central1", zone: "us-central1-b", kubernetesVersion: "1.33",
        nodePools: { core: { machineType: "n2-standard-4", minNodes: 1, maxNodes: 2 }, user: { machineType: "n2-standard-8", minNodes: 0, maxNodes: 4 }, ...nodePools },
    },
});
const ovh = (region: string, nodePools: Record<string, unknown>) => ({
    gra: {
        provider: "ovh", serviceName: "0123456789abcdef0123456789abcdef", region, kubernetesVersion: "1.33", s3: { region: "gra" },
        network: { vlanId: 7 }, homeStorage: { type: "dynamic", size: "10Gi" },
        nodePools: { core: { machineType: "b3-8", minNodes: 1, maxNodes: 2 }, user: { machineType: "r3-32", minNodes: 0, maxNodes: 4 }, ...nodePools },
    },
});

describe("node pools: GPU pools schedule nvidia.com/gpu", () => {
    const gpuPool: NodePoolSpec = { machineType: "g4dn.xlarge", minNodes: 0, maxNodes: 4, gpu: { count: 1 } };

    it("AWS: the NVIDIA AMI, the GPU taint, and a template the autoscaler can start from zero for a GPU server only", () => {
        const settings = nodeGroupSettings("gpu-t4", gpuPool, 0);
        assert.strictEqual(settings.amiType, "AL2023_x86_64_NVIDIA");
        assert.deepStrictEqual(settings.taints, [
            { key: "hub.jupyter.org/dedicated", value: "user", effect: "NO_SCHEDULE" },
            { key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" },
        ]);
        const template = autoscalerTemplateNode(autoscalerTemplateTags(gpuPool, eksPoolScheduling("gpu-t4", gpuPool)), settings);
        // aws_cloud_provider.go GPULabel: the new node waits for its device plugin instead of prompting another one.
        assert.strictEqual(template.labels[AWS_GPU_LABEL], "nvidia-tesla-t4");
        assert.strictEqual(runs(gpuServer("gpu-t4", 1), template), true, "a one-GPU server starts a node");
        assert.strictEqual(runs(gpuServer("gpu-t4", 2), template), false, "two GPUs do not fit a g4dn.xlarge");
        assert.strictEqual(runs(cpuServer, template), false, "a CPU-only server never starts a GPU node");
        // Without the tags the template has only DescribeNodegroup's taints, whose effect spelling the scheduler
        // does not know: the autoscaler would start GPU nodes for CPU servers (kubernetes/autoscaler#6481).
        const untagged = autoscalerTemplateNode({}, settings);
        assert.strictEqual(runs(cpuServer, { ...untagged, gpus: 1 }), true);
    });

    it("AWS: the device plugin runs on exactly the GPU pools, through every taint they carry", () => {
        const values = devicePluginValues(["gpu-t4", "gpu-a10"]) as any;
        const terms = values.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
        assert.deepStrictEqual(terms, [{ matchExpressions: [{ key: NODE_POOL_LABEL, operator: "In", values: ["gpu-a10", "gpu-t4"] }] }]);
        const node = nodeGroupSettings("gpu-t4", gpuPool, 0);
        const plugin: Pod = { tolerations: values.tolerations, requiredLabels: {} };
        assert.ok(schedulable(plugin, { labels: node.labels, taints: node.taints.map(t => ({ ...t, effect: "NoSchedule" })) }));
        assert.throws(() => devicePluginValues([]), /only installed on a cluster with a GPU pool/);
    });

    it("GKE: accelerators with the driver installed, and no GPU taint of ours beside the one GKE adds", () => {
        const pool: NodePoolSpec = { machineType: "n1-standard-8", minNodes: 0, maxNodes: 4, gpu: { type: "nvidia-tesla-t4", count: 1 } };
        const settings = nodePoolSettings("gpu-t4", pool);
        assert.deepStrictEqual(settings.guestAccelerators, [{ type: "nvidia-tesla-t4", count: 1, gpuDriverInstallationConfig: { gpuDriverVersion: "DEFAULT" } }]);
        assert.ok(!settings.taints.some(t => t.key === GPU_TAINT.key), "GKE refuses a second nvidia.com/gpu taint (terraform-provider-google#7928)");
        // GKE docs, "Run GPUs in GKE Standard node pools": GPU nodes get nvidia.com/gpu=present:NoSchedule, and
        // GKE's own device plugin advertises the attached GPUs once its driver is installed.
        const node: GpuNode = {
            labels: settings.labels,
            taints: [...settings.taints.map(t => ({ ...t, effect: "NoSchedule" })), { ...GPU_TAINT, effect: "NoSchedule" }],
            gpus: settings.guestAccelerators![0].count,
        };
        assert.strictEqual(runs(gpuServer("gpu-t4", 1), node), true);
        assert.strictEqual(runs(cpuServer, node), false);
    });

    it("OVH: the GPU taint on the flavor's nodes, and the GPU operator's agents reach them", () => {
        const pool: NodePoolSpec = { machineType: "l4-90", minNodes: 0, maxNodes: 2, gpu: { count: 1 } };
        const template = nodePoolTemplate("gpu-l4", pool) as any;
        const node: GpuNode = { labels: template.metadata.labels, taints: template.spec.taints, gpus: 1 };
        assert.strictEqual(runs(gpuServer("gpu-l4", 1), node), true);
        assert.strictEqual(runs(cpuServer, node), false);
        const values = gpuOperatorValues(["gpu-l4"]) as any;
        const worker = values["node-feature-discovery"].worker;
        assert.ok(schedulable({ tolerations: worker.tolerations, requiredLabels: {} }, node), "node feature discovery labels the GPU node");
        assert.deepStrictEqual(worker.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions,
            [{ key: NODE_POOL_LABEL, operator: "In", values: ["gpu-l4"] }]);
        assert.ok(schedulable({ tolerations: values.daemonsets.tolerations, requiredLabels: {} }, node), "driver, toolkit and plugin run there");
    });
});

describe("node pools: dask worker pools", () => {
    const dask: NodePoolSpec = { machineType: "r5.2xlarge", minNodes: 0, maxNodes: 40, purpose: "dask", spot: true, instanceTypes: ["r5a.2xlarge", "r5n.2xlarge"] };

    for (const [cloud, node] of Object.entries({
        aws: () => {
            const s = nodeGroupSettings("dask-workers", dask, 0);
            return { labels: s.labels, taints: s.taints.map(t => ({ ...t, effect: "NoSchedule" })) };
        },
        gcp: () => {
            const s = nodePoolSettings("dask-workers", { ...dask, spot: undefined, instanceTypes: undefined });
            return { labels: s.labels, taints: s.taints.map(t => ({ ...t, effect: "NoSchedule" })) };
        },
        ovh: () => {
            const t = nodePoolTemplate("dask-workers", { ...dask, spot: undefined, instanceTypes: undefined }) as any;
            return { labels: t.metadata.labels, taints: t.spec.taints };
        },
    })) {
        it(`${cloud}: takes dask workers, never user servers`, () => {
            const n = node();
            assert.strictEqual(n.labels["hub.jupyter.org/node-purpose"], "dask");
            assert.deepStrictEqual(n.taints, [{ key: "k8s.dask.org/dedicated", value: "worker", effect: "NoSchedule" }]);
            assert.strictEqual(schedulable(daskWorker("dask-workers"), n), true);
            assert.strictEqual(schedulable(cpuServer, n), false);
        });
    }

    it("AWS: spot with machineType first, then the other types", () => {
        const settings = nodeGroupSettings("dask-workers", dask, 0);
        assert.deepStrictEqual(settings.instanceTypes, ["r5.2xlarge", "r5a.2xlarge", "r5n.2xlarge"]);
        assert.strictEqual(settings.capacityType, "SPOT");
    });
});

describe("node pools: labels, taints and zones", () => {
    const pool: NodePoolSpec = {
        machineType: "n2-standard-8", minNodes: 0, maxNodes: 6, zones: ["us-central1-a", "us-central1-b"],
        labels: { "example.org/community": "public" }, taints: [{ key: "example.org/public", value: "true", effect: "NoSchedule" }],
    };

    it("adds the pool's labels and taints to the fleet's on every cloud", () => {
        const expectedLabels = { "example.org/community": "public", "hub.jupyter.org/node-purpose": "user", [NODE_POOL_LABEL]: "public" };
        const aws = nodeGroupSettings("public", { ...pool, zones: undefined }, 0);
        assert.deepStrictEqual(aws.labels, expectedLabels);
        assert.deepStrictEqual(aws.taints[1], { key: "example.org/public", value: "true", effect: "NO_SCHEDULE" });
        const gke = nodePoolSettings("public", pool);
        assert.deepStrictEqual(gke.labels, expectedLabels);
        assert.deepStrictEqual(gke.taints, [
            { key: "hub.jupyter.org_dedicated", value: "user", effect: "NO_SCHEDULE" },
            { key: "example.org/public", value: "true", effect: "NO_SCHEDULE" },
        ]);
        const ovhTemplate = nodePoolTemplate("public", pool) as any;
        assert.deepStrictEqual(ovhTemplate.metadata.labels, expectedLabels);
        assert.deepStrictEqual(ovhTemplate.spec.taints[1], { key: "example.org/public", value: "true", effect: "NoSchedule" });
    });

    it("GKE: a multi-zone pool gets its node locations and total (not per-zone) bounds", () => {
        // terraform-provider-google container node pool: min/max_node_count are per zone, total_* across zones.
        const settings = nodePoolSettings("public", pool);
        assert.deepStrictEqual(settings.nodeLocations, ["us-central1-a", "us-central1-b"]);
        assert.deepStrictEqual(settings.autoscaling, { totalMinNodeCount: 0, totalMaxNodeCount: 6 });
        assert.deepStrictEqual(nodePoolSettings("one", { ...pool, zones: undefined }).autoscaling, { minNodeCount: 0, maxNodeCount: 6 });
    });

    it("OVH: one zone per pool in a 3-AZ region (its first by default), none in a 1-AZ region", () => {
        assert.deepStrictEqual(poolAvailabilityZones("EU-WEST-PAR", {}), ["eu-west-par-a"]);
        assert.deepStrictEqual(poolAvailabilityZones("EU-WEST-PAR", { zones: ["eu-west-par-c"] }), ["eu-west-par-c"]);
        assert.strictEqual(poolAvailabilityZones("GRA11", {}), undefined);
    });
});

describe("node pools: what an edit replaces (plan --base)", () => {
    const planOf = (type: string, name: string, inputs: Record<string, unknown>) => {
        const resource: PlanJsonResource = { urn: makeUrn("prod", type, name, undefined), type, name, custom: true, protect: false, retainOnDelete: false, inputs };
        return { stack: "prod", resources: [resource], outputs: {}, violations: [] };
    };

    it("reports a changed spot instance list as a new node group (EKS cannot change it in place)", () => {
        const group = (instanceTypes: string[]) => planOf("aws:eks/nodeGroup:NodeGroup", "uw2-pool-dask-workers", { instanceTypes, labels: {} });
        const diff = diffPlans(group(["r5.2xlarge", "r5a.2xlarge"]), group(["r5.2xlarge", "r5n.2xlarge"]));
        assert.strictEqual(diff.replaces[0]?.replacedBecause, "changed instanceTypes[1]");
        assert.deepStrictEqual(diffPlans(group(["r5.2xlarge"]), group(["r5.2xlarge"])).replaces, []);
    });

    it("reports a changed GKE accelerator as a new node pool, and a new label as an update", () => {
        const pool = (count: number, labels: Record<string, string>) => planOf("gcp:container/nodePool:NodePool", "exr-prod-pool-gpu-t4",
            { nodeConfig: { labels, guestAccelerators: [{ type: "nvidia-tesla-t4", count }] } });
        assert.strictEqual(diffPlans(pool(1, {}), pool(2, {})).replaces[0]?.replacedBecause, "changed nodeConfig.guestAccelerators[0].count");
        const relabel = diffPlans(pool(1, {}), pool(1, { team: "a" }));
        assert.deepStrictEqual([relabel.replaces.length, relabel.changes.length], [0, 1]);
    });
});

describe("node pools: bad input", () => {
    it("refuses labels and taints that reuse the fleet's keys or break Kubernetes syntax", () => {
        assert.deepStrictEqual(configErrors(aws({
            public: {
                ...USER,
                labels: { [NODE_POOL_LABEL]: "x", "kubernetes.io/role": "x", "ok.example.org/x": "not ok!" },
                taints: [{ key: "nvidia.com/gpu", effect: "NoSchedule" }, { key: "a", effect: "NoSchedule" }, { key: "a", value: "b", effect: "NoSchedule" }],
            },
        })), [
            `clusters.uw2.nodePools.public.labels["${NODE_POOL_LABEL}"]: the fleet sets this label itself (pools are selected by it) (remove it; use a key of your own, e.g. example.org/team)`,
            "clusters.uw2.nodePools.public.labels[\"kubernetes.io/role\"]: kubernetes.io and k8s.io label prefixes are reserved, and the kubelet refuses to set them on its node (use a prefix of your own, e.g. example.org/…)",
            "clusters.uw2.nodePools.public.labels[\"ok.example.org/x\"]: \"not ok!\" is not a Kubernetes label value (use up to 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit)",
            "clusters.uw2.nodePools.public.taints[0].key: the fleet sets the nvidia.com/gpu taint itself (by purpose and gpu) (remove it; set purpose: dask or gpu instead, or use a key of your own)",
            "clusters.uw2.nodePools.public.taints[2]: taints[1] has the same key and effect (keep one taint per key and effect)",
        ]);
    });

    it("refuses GPU settings the cloud cannot honour", () => {
        assert.deepStrictEqual(configErrors(aws({
            a: { ...USER, gpu: { count: 1 } },
            b: { machineType: "g4dn.xlarge", minNodes: 0, maxNodes: 1 },
            c: { machineType: "g4dn.12xlarge", minNodes: 0, maxNodes: 1, gpu: { type: "t4", count: 1 } },
            d: { ...USER, labels: { [AWS_GPU_LABEL]: "nvidia-tesla-t4" } },
        })), [
            "clusters.uw2.nodePools.a.gpu: m5.xlarge has no NVIDIA GPU (use a GPU instance type such as g4dn.xlarge, g5.xlarge or g6.xlarge, or remove gpu)",
            "clusters.uw2.nodePools.b: g4dn.xlarge is a GPU instance type but the pool has no gpu (add gpu: { count: 1 }, so its nodes get the GPU taint and device plugin and CPU-only pods stay off them)",
            "clusters.uw2.nodePools.c.gpu.type: on AWS the instance type decides the GPU (remove it; g4dn.12xlarge brings its own)",
            "clusters.uw2.nodePools.c.gpu.count: g4dn.12xlarge has 4 GPUs, not 1 (set count: 4)",
            "clusters.uw2.nodePools.d.labels[\"k8s.amazonaws.com/accelerator\"]: the fleet sets this label on GPU pools, and the cluster autoscaler waits for GPUs " +
            "on nodes that carry it (remove it; set gpu on the pool instead)",
        ]);
        assert.deepStrictEqual(configErrors(gcp({
            a: { machineType: "n1-standard-8", minNodes: 0, maxNodes: 1, gpu: { count: 1 } },
            b: { machineType: "n2-standard-8", minNodes: 0, maxNodes: 1, gpu: { type: "nvidia-tesla-t4", count: 1 } },
            c: { machineType: "g2-standard-8", minNodes: 0, maxNodes: 1, zones: ["us-central1-f"], gpu: { type: "nvidia-l4", count: 1 } },
            d: { machineType: "g2-standard-8", minNodes: 0, maxNodes: 1 },
        })), [
            "clusters.gke.nodePools.a.gpu.type: GKE needs the accelerator type (set it, e.g. gpu: { type: nvidia-tesla-t4, count: 1 } on an n1 machine type)",
            "clusters.gke.nodePools.b.gpu.type: nvidia-tesla-t4 does not attach to n2-standard-8 (use a n1-* machine type with nvidia-tesla-t4)",
            "clusters.gke.nodePools.c.gpu.type: nvidia-l4 is not offered in us-central1-f (put the pool in zones that have it: zones: [us-central1-a, us-central1-b, us-central1-c])",
            "clusters.gke.nodePools.d: g2-standard-8 comes with GPUs but the pool has no gpu (add gpu: { type: …, count: … }, so GKE installs the driver and taints the nodes for GPU pods only)",
        ]);
        assert.deepStrictEqual(configErrors(ovh("GRA11", {
            a: { machineType: "b3-16", minNodes: 0, maxNodes: 1, gpu: { count: 1 } },
            b: { machineType: "l40s-180", minNodes: 0, maxNodes: 1, gpu: { count: 1 } },
        })), [
            "clusters.gra.nodePools.a.gpu: b3-16 has no GPU (use a GPU flavor such as l4-90, l40s-90, t2-45 or h100-380, or remove gpu)",
            "clusters.gra.nodePools.b.gpu.count: l40s-180 has 2 GPUs, not 1 (set count: 2)",
        ]);
        assert.deepStrictEqual(configErrors(aws({ core: { ...CORE, machineType: "g4dn.xlarge", gpu: { count: 1 } } })), [
            "clusters.uw2.nodePools.core.gpu: a core pool runs the hub, proxy and system pods, which need no GPU, and GPU nodes are tainted for GPU pods only " +
            "(keep the core pool CPU-only and add a GPU pool such as gpu: { machineType: …, minNodes: 0, maxNodes: 4, gpu: { count: 1 } })",
        ]);
    });

    it("refuses instanceTypes off AWS, without spot, or needing another AMI", () => {
        assert.deepStrictEqual(configErrors(aws({
            a: { ...USER, instanceTypes: ["m5a.xlarge"] },
            b: { ...USER, spot: true, instanceTypes: ["m5.xlarge", "m7g.xlarge"] },
        })), [
            "clusters.uw2.nodePools.a.instanceTypes: instanceTypes widens the search for spot capacity, and this pool is on-demand (add spot: true, or remove instanceTypes (on-demand pools run machineType))",
            "clusters.uw2.nodePools.b.instanceTypes[0]: m5.xlarge is listed twice (machineType is always the first type) (list each other type once)",
            "clusters.uw2.nodePools.b.instanceTypes[1]: m7g.xlarge needs the AL2023_ARM_64_STANDARD AMI and m5.xlarge the AL2023_x86_64_STANDARD AMI; a node group has one " +
            "(list types of the same architecture and GPU kind as machineType, or make another pool)",
        ]);
        assert.deepStrictEqual(configErrors(gcp({ a: { machineType: "n2-standard-8", minNodes: 0, maxNodes: 1, instanceTypes: ["n2-standard-16"] } })), [
            "clusters.gke.nodePools.a.instanceTypes: instanceTypes applies to aws spot pools only, and this cluster is gcp (remove it; the pool runs machineType only)",
        ]);
    });

    it("refuses zones the cluster does not have", () => {
        assert.deepStrictEqual(configErrors(aws({ a: { ...USER, zones: ["us-west-2d"] } })), [
            "clusters.uw2.nodePools.a.zones: the cluster has no subnet in us-west-2d (use one of us-west-2a, us-west-2b, us-west-2c)",
        ]);
        assert.deepStrictEqual(configErrors(gcp({ core: { machineType: "n2-standard-4", minNodes: 1, maxNodes: 2, zones: ["us-central1-a", "us-central1-b"] } })), [
            "clusters.gke.nodePools.core.zones: a core pool runs in one zone: the hub's database is a zonal persistent disk (keep one zone, e.g. zones: [us-central1-b])",
        ]);
        assert.deepStrictEqual(configErrors(ovh("GRA11", { a: { machineType: "b3-16", minNodes: 0, maxNodes: 1, zones: ["gra11-a"] } })), [
            "clusters.gra.nodePools.a.zones: GRA11 is a one-zone region: every node runs in it, and MKS offers no zone choice there " +
            "(remove zones; zones exist in the 3-AZ regions (EU-WEST-PAR, EU-SOUTH-MIL))",
        ]);
        assert.deepStrictEqual(configErrors(ovh("EU-WEST-PAR", { a: { machineType: "b3-16", minNodes: 0, maxNodes: 1, zones: ["eu-west-par-a", "eu-west-par-d"] } })), [
            "clusters.gra.nodePools.a.zones: an MKS pool runs in one zone (the provider takes one availability zone per pool) (make one pool per zone, e.g. zones: [eu-west-par-a])",
            "clusters.gra.nodePools.a.zones: eu-west-par-d is not a zone of EU-WEST-PAR (use one of eu-west-par-a, eu-west-par-b, eu-west-par-c)",
        ]);
    });

    it("allows pool keys of 32 characters and more, up to each cloud's limit, with the limit in the message", () => {
        const key32 = `pool-${"x".repeat(27)}`;
        assert.deepStrictEqual(configErrors(aws({ [key32]: USER })), []);
        assert.deepStrictEqual(configErrors(gcp({ [`${key32}12345678`]: { machineType: "n2-standard-8", minNodes: 0, maxNodes: 1 } })), []);
        assert.deepStrictEqual(configErrors(aws({ [`${key32}${"y".repeat(15)}`]: USER })), [
            `clusters.uw2.nodePools.${key32}${"y".repeat(15)}: node pool key is not a valid name (use up to 46 lowercase letters, digits and '-', starting with a letter ` +
            "(the node group is named <cluster>-pool-<key> plus Pulumi's 8-character suffix, and EKS allows 63))",
        ]);
        assert.match(configErrors(gcp({ [`${key32}123456789`]: { machineType: "n2-standard-8", minNodes: 0, maxNodes: 1 } }))[0], /up to 40 .*GKE node pool names/);
        assert.match(configErrors(ovh("GRA11", { [`${key32}${"z".repeat(20)}`]: { machineType: "b3-16", minNodes: 0, maxNodes: 1 } }))[0], /up to 51 .*MKS names nodes/);
    });
});

describe("node pools: the prod example stack as registered", function () {
    let resources: RecordedResource[] = [];
    let recorder: MockRecorder;
    const find = (type: string, name: string) => {
        const found = resources.find(r => r.type === type && r.name === name);
        assert.ok(found, `${type} ${name} not registered`);
        return found.wireInputs;
    };

    before(async () => {
        const { config, secretKeys } = readStackFile("prod", ROOT);
        recorder = useMocks({ stack: "prod", config, secretKeys });
        const { loadFleetConfig } = await import("../components/config");
        const { deployFleet } = await import("../components/fleet");
        const fleet = deployFleet(loadFleetConfig());
        await new Promise(resolve => pulumi.output(fleet.outputs as unknown as pulumi.Input<object>).apply(resolve));
        await Promise.all(Object.values(fleet.hubs).map(hub => new Promise(resolve => hub.release.status.apply(resolve))));
        await settleRegistrations(recorder);
        resources = [...recorder.resources];
    });

    it("AWS: the GPU node group, its autoscaler tags on the group EKS made, and the device plugin for it", () => {
        const group = find("aws:eks/nodeGroup:NodeGroup", "uw2-pool-gpu-t4");
        assert.strictEqual(group.amiType, "AL2023_x86_64_NVIDIA");
        assert.ok(group.taints.some((t: any) => t.key === "nvidia.com/gpu" && t.effect === "NO_SCHEDULE"));
        const tag = find("aws:autoscaling/tag:Tag", "uw2-pool-gpu-t4-node-template/resources/nvidia.com/gpu");
        assert.deepStrictEqual(tag.tag, { key: "k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu", value: "1", propagateAtLaunch: false });
        assert.strictEqual(tag.autoscalingGroupName, "eks-uw2-pool-gpu-t4-0a1b2c3d");
        const plugin = find("kubernetes:helm.sh/v3:Release", "uw2-nvidia-device-plugin-release");
        assert.strictEqual(plugin.version, "0.17.4");
        assert.deepStrictEqual(plugin.values.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values, ["gpu-t4"]);
        assert.ok(!resources.some(r => r.name.startsWith("uw2-pool-core-node-template")), "the core pool never scales from zero");
    });

    it("AWS: the dask pool is spot across its instance types and tainted for dask workers", () => {
        const group = find("aws:eks/nodeGroup:NodeGroup", "uw2-pool-dask-workers");
        assert.deepStrictEqual(group.instanceTypes, ["r5.2xlarge", "r5a.2xlarge", "r5n.2xlarge"]);
        assert.strictEqual(group.capacityType, "SPOT");
        assert.deepStrictEqual(group.taints, [{ key: "k8s.dask.org/dedicated", value: "worker", effect: "NO_SCHEDULE" }]);
    });

    it("GKE: the T4 pool with its accelerator, created after the plain pools", () => {
        const pool = recorder.sent.get("gcp:container/nodePool:NodePool::exr-prod-pool-gpu-t4")!;
        assert.deepStrictEqual(pool.wireInputs.nodeConfig.guestAccelerators,
            [{ type: "nvidia-tesla-t4", count: 1, gpuDriverInstallationConfig: { gpuDriverVersion: "DEFAULT" } }]);
        for (const plain of ["exr-prod-pool-core", "exr-prod-pool-user"]) {
            assert.ok(pool.dependencies.some(urn => urn.endsWith(`::${plain}`)), `waits for ${plain}`);
        }
    });
});

describe("node pools: an OVH 3-AZ cluster with GPU and dask pools, as registered", function () {
    let recorder: MockRecorder;
    const inputsOf = (type: string, name: string) => {
        const found = recorder.sent.get(`${type}::${name}`);
        assert.ok(found, `${type} ${name} not registered`);
        return found.wireInputs;
    };

    before(async () => {
        recorder = useMocks({
            stack: "test",
            config: {
                clusters: ovh("EU-WEST-PAR", {
                    "gpu-l4": { machineType: "l4-90", minNodes: 0, maxNodes: 2, zones: ["eu-west-par-b"], gpu: { count: 1 } },
                    "dask-workers": { machineType: "b3-32", minNodes: 0, maxNodes: 10, purpose: "dask" },
                }),
                hubs: {},
            },
        });
        const { loadFleetConfig } = await import("../components/config");
        const { deployFleet } = await import("../components/fleet");
        deployFleet(loadFleetConfig());
        await settleRegistrations(recorder);
    });

    it("puts every pool in one zone of the region (its own, or the region's first) with the fleet's labels and taints", () => {
        assert.deepStrictEqual(inputsOf("ovh:CloudProject/kubeNodePool:KubeNodePool", "gra-pool-core").availabilityZones, ["eu-west-par-a"]);
        const gpu = inputsOf("ovh:CloudProject/kubeNodePool:KubeNodePool", "gra-pool-gpu-l4");
        assert.deepStrictEqual(gpu.availabilityZones, ["eu-west-par-b"]);
        assert.strictEqual(gpu.flavorName, "l4-90");
        assert.deepStrictEqual(gpu.template.spec.taints, [
            { key: "hub.jupyter.org/dedicated", value: "user", effect: "NoSchedule" },
            { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" },
        ]);
        assert.strictEqual(gpu.template.metadata.labels[NODE_POOL_LABEL], "gpu-l4");
        const dask = inputsOf("ovh:CloudProject/kubeNodePool:KubeNodePool", "gra-pool-dask-workers");
        assert.deepStrictEqual(dask.template.spec.taints, [{ key: "k8s.dask.org/dedicated", value: "worker", effect: "NoSchedule" }]);
    });

    it("installs the GPU operator once, pinned, reaching the GPU pool only", () => {
        const operators = recorder.resources.filter(r => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "gpu-operator");
        assert.deepStrictEqual(operators.map(r => r.name), ["gra-gpu-operator-release"]);
        const operator = inputsOf("kubernetes:helm.sh/v3:Release", "gra-gpu-operator-release");
        assert.deepStrictEqual([operator.chart, operator.version, operator.namespace], ["gpu-operator", "v25.3.4", "gpu-operator"]);
        assert.deepStrictEqual(operator.values["node-feature-discovery"].worker.affinity.nodeAffinity
            .requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values, ["gpu-l4"]);
    });
});
