import * as assert from "assert";
import { parseFleetConfig } from "../components/config";
import { expectExactly, fleetWith, problemsOf } from "./configProblems";
import { awsCluster, awsFleet, githubHub } from "./fixtures";

const gcpCluster = {
    provider: "gcp", project: "example-project", region: "us-central1", zone: "us-central1-b", kubernetesVersion: "1.33",
    nodePools: { core: { machineType: "n2-standard-2", minNodes: 1, maxNodes: 1 }, user: { machineType: "n2-standard-4", minNodes: 0, maxNodes: 3 } },
};
const ovhCluster = {
    provider: "ovh", serviceName: "5f3c0e2b9a7d4c1e8b6a2f0d9c8e7b6a", region: "GRA11", kubernetesVersion: "1.34", s3: { region: "gra" },
    network: { vlanId: 20 },
    nodePools: { core: { machineType: "b3-8", minNodes: 1, maxNodes: 2 }, user: { machineType: "r3-32", minNodes: 0, maxNodes: 10 } },
};

describe("config: deletionProtection", () => {
    it("defaults to true on aws, gcp and ovh clusters and may be turned off", () => {
        const fleet = parseFleetConfig(fleetWith(f => {
            f.clusters.gke = gcpCluster;
            f.clusters.mks = { ...ovhCluster, deletionProtection: false };
        }), { stack: "staging", secretKeys: ["hubSecrets"] });
        const protection = Object.fromEntries(Object.entries(fleet.clusters)
            .map(([key, cluster]) => [key, cluster.provider === "kubernetes" ? undefined : cluster.deletionProtection]));
        assert.deepStrictEqual(protection, { uw2: true, gke: true, mks: false });
    });

    it("does not apply to existing clusters, which the fleet does not create", () => {
        const problems = problemsOf(fleetWith(f => {
            f.clusters.onprem = { provider: "kubernetes", homeStorage: { type: "nfs", server: "nfs", path: "/homes" }, deletionProtection: true };
            f.clusters.uw2.deletionProtection = "yes";
        }));
        expectExactly(problems,
            "clusters.onprem.deletionProtection: unknown key (deletionProtection applies to aws / gcp / ovh clusters only, and this cluster is kubernetes; remove it)",
            "clusters.uw2.deletionProtection: expected a boolean, got string \"yes\" (change it to a boolean)");
    });
});

describe("config: renamedFrom", () => {
    it("is accepted on hubs and clusters of every provider", () => {
        const fleet = parseFleetConfig(fleetWith(f => {
            f.clusters.uw2.renamedFrom = "usw2";
            f.clusters.onprem = { provider: "kubernetes", homeStorage: { type: "nfs", server: "nfs", path: "/homes" }, renamedFrom: "lab" };
            f.hubs.staging.renamedFrom = "stage";
        }), { stack: "staging", secretKeys: ["hubSecrets"] });
        assert.strictEqual(fleet.clusters.uw2.renamedFrom, "usw2");
        assert.strictEqual(fleet.clusters.onprem.renamedFrom, "lab");
        assert.strictEqual(fleet.hubs.staging.renamedFrom, "stage");
    });

    it("follows the key rules of its kind", () => {
        const problems = problemsOf(fleetWith(f => {
            f.clusters.uw2.renamedFrom = "US_West";
            f.hubs.staging.renamedFrom = "Old_Hub";
        }));
        expectExactly(problems,
            "clusters.uw2.renamedFrom: string \"US_West\" is not a valid cluster key (give the cluster's previous key, as it was written under clusters)",
            "hubs.staging.renamedFrom: string \"Old_Hub\" is not a valid hub key (give the hub's previous key, as it was written under hubs)");
    });

    it("refuses a key that still exists, the entry's own key, and one old key claimed twice", () => {
        const problems = problemsOf(fleetWith(f => {
            f.clusters.uw1 = awsCluster({ region: "us-west-1", buckets: {}, renamedFrom: "uw2" });
            f.clusters.uw2.renamedFrom = "uw2";
            f.hubs.a = githubHub("uw2", { domain: "a.example.org", renamedFrom: "old" });
            f.hubs.b = githubHub("uw2", { domain: "b.example.org", renamedFrom: "old" });
            f.hubs.staging.renamedFrom = "a";
            f.hubSecrets.a = f.hubSecrets.b = { auth: { clientSecret: "s" } };
        }));
        expectExactly(problems,
            "clusters.uw1.renamedFrom: clusters.uw2 still exists (renamedFrom names the key before the rename, which must be gone from clusters; remove renamedFrom, or remove clusters.uw2)",
            "clusters.uw2.renamedFrom: names this entry's own key (remove renamedFrom)",
            "clusters.uw1.renamedFrom: clusters.uw2.renamedFrom already claims \"uw2\" (one entry only can take over the resources of uw2; remove one of them)",
            "hubs.staging.renamedFrom: hubs.a still exists (renamedFrom names the key before the rename, which must be gone from hubs; remove renamedFrom, or remove hubs.a)",
            "hubs.b.renamedFrom: hubs.a.renamedFrom already claims \"old\" (one entry only can take over the resources of old; remove one of them)");
    });

    it("is refused in hubDefaults, where every hub would claim it", () => {
        const raw = awsFleet() as any;
        raw.hubDefaults.renamedFrom = "old";
        expectExactly(problemsOf(raw),
            "hubDefaults.renamedFrom: would make every hub claim the same previous key (set it on the renamed hub only: hubs.<key>.renamedFrom)");
    });
});
