/**
 * How `--base` reads a change, on small hand-written plans: what the engine matches by alias, ignores,
 * replaces and refuses. The end-to-end cases (real stacks, real SDK tables) are in plan.test.ts.
 */
import * as assert from "assert";
import { PlanJson, PlanJsonResource, diffPlans } from "../scripts/planReport";
import { aliasUrns, makeUrn } from "../scripts/planRun";

const STACK = "test";

function resource(type: string, name: string, inputs: Record<string, unknown>, extra: Partial<PlanJsonResource> = {}): PlanJsonResource {
    return {
        urn: makeUrn(STACK, type, name, extra.parent), type, name, custom: true, protect: false, retainOnDelete: false, inputs, ...extra,
    };
}

function plan(...resources: PlanJsonResource[]): PlanJson {
    return { stack: STACK, resources, outputs: {}, violations: [] };
}

const HUB = "jupyterhub:hub:Hub";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass";
const K8S_PROVIDER = "pulumi:providers:kubernetes";

describe("plan --base: matching and replacing as the engine does", () => {
    it("gives a hub's children the aliases their renamed parent implies (the SDK's allAliases rule)", () => {
        const hubUrn = makeUrn(STACK, HUB, "course", undefined);
        const hubAliases = aliasUrns(STACK, { type: HUB, name: "course" }, [{ name: "class" }], []);
        assert.deepStrictEqual(hubAliases, [makeUrn(STACK, HUB, "class", undefined)]);
        const namespaceAliases = aliasUrns(STACK, { type: NAMESPACE, name: "course-namespace", parentUrn: hubUrn, parentName: "course" }, [], hubAliases);
        assert.deepStrictEqual(namespaceAliases, [`urn:pulumi:${STACK}::jupyterhub-fleet::${HUB}$${NAMESPACE}::class-namespace`]);
    });

    it("matches a resource by its alias: no delete, no create, only what changed", () => {
        const oldHub = resource(HUB, "class", {}, { custom: false });
        const newHub = resource(HUB, "course", {}, { custom: false, aliases: [oldHub.urn] });
        const oldNamespace = resource(NAMESPACE, "class-namespace", { metadata: { name: "class" } }, { parent: oldHub.urn });
        const newNamespace = resource(NAMESPACE, "course-namespace", { metadata: { name: "class" } },
            { parent: newHub.urn, aliases: [oldNamespace.urn] });
        const diff = diffPlans(plan(oldHub, oldNamespace), plan(newHub, newNamespace));
        assert.deepStrictEqual([diff.adds.length, diff.removes.length, diff.changes.length, diff.replaces.length, diff.alerts], [0, 0, 0, 0, []]);
    });

    it("ignores changes under ignoreChanges (the engine sends the old value), and replaces for them otherwise", () => {
        const pool = (count: number, ignoreChanges?: string[]) =>
            resource("gcp:container/nodePool:NodePool", "exr-pool-user", { initialNodeCount: count }, ignoreChanges ? { ignoreChanges } : {});
        assert.deepStrictEqual(diffPlans(plan(pool(0, ["initialNodeCount"])), plan(pool(2, ["initialNodeCount"]))).changes, []);
        assert.strictEqual(diffPlans(plan(pool(0)), plan(pool(2))).replaces[0]?.replacedBecause, "changed initialNodeCount");
    });

    it("flags a change Kubernetes refuses in place (a storage class's reclaim policy)", () => {
        const storageClass = (reclaimPolicy: string) => resource(STORAGE_CLASS, "homes", { metadata: { name: "homes" }, provisioner: "csi", reclaimPolicy });
        const diff = diffPlans(plan(storageClass("Retain")), plan(storageClass("Delete")));
        assert.deepStrictEqual(diff.replaces, []);
        assert.deepStrictEqual(diff.alerts, ['changes reclaimPolicy of StorageClass "homes", which Kubernetes refuses to change in place: pulumi up will fail there']);
    });

    it("replaces what is built from a replaced resource's computed outputs, not from what it echoes of its inputs", () => {
        const network = (vlanId: number) => resource("ovh:CloudProject/networkPrivate:NetworkPrivate", "net", { vlanId, name: "gfts" });
        const kube = resource("ovh:CloudProject/kube:Kube", "kube", { privateNetworkId: "openstack-net-gra11", name: "gfts" },
            { dependencies: { privateNetworkId: [network(0).urn] } });
        // A Kube named after the network's own (echoed) name input: known at preview, no replacement.
        const echo = resource("ovh:CloudProject/kube:Kube", "echo", { region: "gfts" }, { dependencies: { region: [network(0).urn] } });
        const diff = diffPlans(plan(network(0), kube, echo), plan(network(12), kube, echo));
        assert.deepStrictEqual(diff.replaces.map(c => [c.resource.name, c.replacedBecause]).sort(), [
            ["kube", 'privateNetworkId comes from NetworkPrivate "net", which is replaced'],
            ["net", "changed vlanId"],
        ]);
        assert.match(diff.alerts.join("\n"), /replaces Kube "kube" .*: the cluster and everything on it, including ETCD user data/);
    });

    it("replaces what moves to a provider for another cluster, and only that", () => {
        const provider = (name: string, clusterIdentifier: string) => resource(K8S_PROVIDER, name, { clusterIdentifier });
        const volume = (providerUrn: string) => resource("kubernetes:core/v1:PersistentVolume", "home", { metadata: { name: "home" } },
            { protect: true, provider: providerUrn });
        const old = provider("onprem-k8s", "kubernetes/onprem/current-context");
        const sameCluster = provider("campus-k8s", "kubernetes/onprem/current-context");
        const otherCluster = provider("campus-k8s", "kubernetes/campus/current-context");
        const kept = diffPlans(plan(old, volume(old.urn)), plan(sameCluster, volume(sameCluster.urn)));
        assert.deepStrictEqual([kept.replaces, kept.alerts], [[], []]);
        assert.deepStrictEqual(kept.changes.map(c => c.paths), [["(provider onprem-k8s -> campus-k8s)"]]);
        const moved = diffPlans(plan(old, volume(old.urn)), plan(otherCluster, volume(otherCluster.urn)));
        assert.match(moved.alerts.join("\n"), /replaces protected PersistentVolume "home" \(it moves from provider Provider\(kubernetes\) "onprem-k8s" to Provider\(kubernetes\) "campus-k8s", whose clusterIdentifier differs\)/);
    });
});
