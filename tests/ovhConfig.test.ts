/**
 * The OVH cluster rules of the config: pinned Kubernetes version, VLAN per project, address blocks MKS
 * reserves, 1-AZ and 3-AZ region names, adopted buckets, and the hubs allowed on a cluster with accessGroups
 * (and which members' keys each gets).
 */
import * as assert from "assert";
import { hubMembers, HubSpec, OvhClusterSpec, parseFleetConfig } from "../components/config";
import { expectExactly, expectProblem, fleetWith, problemsOf } from "./configProblems";
import { githubHub } from "./fixtures";

const PROJECT = "5f3c0e2b9a7d4c1e8b6a2f0d9c8e7b6a";

function ovhCluster(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        provider: "ovh", serviceName: PROJECT, region: "GRA11", kubernetesVersion: "1.34", s3: { region: "gra" },
        network: { vlanId: 110 },
        nodePools: { core: { machineType: "b3-8", minNodes: 1, maxNodes: 2 }, user: { machineType: "r3-32", minNodes: 0, maxNodes: 10 } },
        homeStorage: { type: "dynamic", size: "100Gi" },
        buckets: { "gfts-data": {} },
        ...overrides,
    };
}

const GROUPS = { default: { read: ["gfts-data"] }, vliz: { members: ["davidcasalsvliz", "alice"], write: ["gfts-data"] } };

/** A fleet with OVH cluster `mks` (plus the AWS fixture) and hub `gfts` on it; `mutate` edits the raw config. */
function ovhFleet(mutate: (fleet: any) => void = () => undefined) {
    return fleetWith(f => {
        f.clusters.mks = ovhCluster({ accessGroups: GROUPS });
        f.hubs.gfts = githubHub("mks", {
            cloudAccess: undefined, bucketEnv: {}, domain: "gfts.hub.example.org", auth: { type: "github", clientId: "Iv1.g", allowedUsers: ["alice"] },
        });
        f.hubSecrets.gfts = { auth: { clientSecret: "s" } };
        mutate(f);
    });
}

const OIDC = {
    type: "oidc", clientId: "hub", authorizeUrl: "https://idp.example.org/auth", tokenUrl: "https://idp.example.org/token",
    userdataUrl: "https://idp.example.org/userinfo", allowedUsers: ["alice"],
};

describe("config: OVH clusters", () => {
    it("accepts the fixture", () => {
        assert.deepStrictEqual(problemsOf(ovhFleet()), []);
    });

    it("requires a pinned Kubernetes version OVH still supports, and a VLAN", () => {
        expectExactly(problemsOf(ovhFleet(f => {
            delete f.clusters.mks.kubernetesVersion;
            f.clusters.mks.network = { cidr: "10.0.0.0/16" };
        })),
        "clusters.mks.kubernetesVersion: missing required field (add it: a string)",
        "clusters.mks.network.vlanId: missing required field (add it: a number)");
        expectExactly(problemsOf(ovhFleet(f => { f.clusters.mks.kubernetesVersion = "1.31"; })),
            "clusters.mks.kubernetesVersion: OVH no longer supports Kubernetes 1.31 " +
            "(use 1.33 or later; an existing cluster moves up one minor version per pulumi up)");
    });

    it("refuses two clusters of one project on the same VLAN, and allows it across projects", () => {
        expectExactly(problemsOf(ovhFleet(f => { f.clusters.mks2 = ovhCluster({ network: { vlanId: 110, cidr: "10.1.0.0/16" }, buckets: {} }); })),
            "clusters.mks2.network.vlanId: VLAN 110 is also used by cluster mks in the same OVH project " +
            "(give each cluster of a project its own vlanId, one no other network of the project uses)");
        assert.deepStrictEqual(problemsOf(ovhFleet(f => {
            f.clusters.mks2 = ovhCluster({ serviceName: "0123456789abcdef0123456789abcdef", buckets: {} });
        })), []);
    });

    it("refuses a network block overlapping the pods, services or Docker ranges of MKS (OVH known limits)", () => {
        for (const [cidr, reserved, user] of [
            ["10.2.0.0/16", "10.2.0.0/16", "MKS pods"],
            ["10.2.64.0/18", "10.2.0.0/16", "MKS pods"],
            ["10.3.128.0/17", "10.3.0.0/16", "MKS services"],
            ["172.17.5.0/24", "172.17.0.0/16", "the Docker daemon on MKS nodes"],
        ]) {
            const problems = problemsOf(ovhFleet(f => { f.clusters.mks.network.cidr = cidr; }));
            expectProblem(problems, new RegExp(`^clusters\\.mks\\.network\\.cidr: ${cidr.replace(/\./g, "\\.")} overlaps ${reserved.replace(/\./g, "\\.")}, which MKS uses for ${user} \\(choose a block outside`));
        }
        for (const cidr of ["10.0.0.0/16", "10.4.0.0/16", "192.168.0.0/16", "172.16.0.0/16"]) {
            assert.deepStrictEqual(problemsOf(ovhFleet(f => { f.clusters.mks.network.cidr = cidr; })), [], cidr);
        }
        expectExactly(problemsOf(ovhFleet(f => { f.clusters.mks.network.cidr = "10.300.0.0/16"; })),
            "clusters.mks.network.cidr: 10.300.0.0/16 is not an IPv4 address block (use a block such as 10.0.0.0/16)");
    });

    it("accepts 3-AZ region names for the cluster and for Object Storage", () => {
        const fleet = parseFleetConfig(ovhFleet(f => {
            f.clusters.mks.region = "EU-WEST-PAR";
            f.clusters.mks.s3 = { region: "eu-west-par" };
        }), { stack: "prod", secretKeys: ["hubSecrets"] });
        const mks = fleet.clusters.mks as OvhClusterSpec;
        assert.deepStrictEqual([mks.region, mks.s3.region], ["EU-WEST-PAR", "eu-west-par"]);
        expectExactly(problemsOf(ovhFleet(f => {
            f.clusters.mks.region = "eu-west-par";
            f.clusters.mks.s3 = { region: "EU-WEST-PAR" };
        })),
        "clusters.mks.region: string \"eu-west-par\" must be an OVH region such as GRA11 or EU-WEST-PAR (see README.md, Configuration reference)",
        "clusters.mks.s3.region: string \"EU-WEST-PAR\" must be an OVH Object Storage region such as gra or eu-west-par (see README.md, Configuration reference)");
    });

    it("takes import: true on an OVH bucket only", () => {
        const fleet = parseFleetConfig(ovhFleet(f => { f.clusters.mks.buckets["gfts-data"] = { import: true }; }),
            { stack: "prod", secretKeys: ["hubSecrets"] });
        assert.deepStrictEqual((fleet.clusters.mks as OvhClusterSpec).buckets["gfts-data"], { import: true });
        expectProblem(problemsOf(ovhFleet(f => { f.clusters.uw2.buckets.scratch.import = true; })), /^clusters\.uw2\.buckets\.scratch\.import: unknown key/);
    });
});

describe("config: hubs on an OVH cluster with accessGroups", () => {
    const message = (auth: string) => `hubs.gfts.auth: cluster mks hands S3 keys to users by GitHub login (accessGroups), but ${auth} ` +
        "usernames on hub gfts are not GitHub logins, so anyone able to log in under a member's name would get that member's keys";

    it("refuses an OIDC hub whose usernames are not declared to be GitHub logins", () => {
        expectExactly(problemsOf(ovhFleet(f => { f.hubs.gfts.auth = OIDC; })),
            `${message("oidc")} (if the identity provider brokers GitHub, set usernameClaim to the claim holding the GitHub login and ` +
            "usernamesAreGithubLogins: true; otherwise run this hub on a cluster without accessGroups)");
    });

    it("accepts one that declares it, and any auth on an OVH cluster without accessGroups", () => {
        assert.deepStrictEqual(problemsOf(ovhFleet(f => {
            f.hubs.gfts.auth = { ...OIDC, usernameClaim: "github_login", usernamesAreGithubLogins: true };
        })), []);
        assert.deepStrictEqual(problemsOf(ovhFleet(f => {
            delete f.clusters.mks.accessGroups;
            f.hubs.gfts.auth = OIDC;
        })), []);
    });

    it("refuses dummy auth there for both reasons", () => {
        const problems = problemsOf(ovhFleet(f => { f.hubs.gfts.auth = { type: "dummy" }; }));
        expectProblem(problems, /^hubs\.gfts\.auth\.type: dummy auth lets anyone log in/);
        expectProblem(problems, new RegExp(`^${message("dummy").replace(/[.()]/g, "\\$&")} \\(use auth.type: github`));
    });
});

describe("config: the members whose keys a hub gets", () => {
    const members = ["alice", "bob", "davidcasalsvliz"];
    const hub = (auth: Record<string, unknown>) => ({ auth }) as unknown as HubSpec;

    it("are the members a hub lists as users or admins, case-insensitively", () => {
        assert.deepStrictEqual(hubMembers(hub({ type: "github", allowedUsers: ["Alice", "carol"], adminUsers: ["davidcasalsvliz"] }), members),
            ["alice", "davidcasalsvliz"]);
        assert.deepStrictEqual(hubMembers(hub({ type: "oidc", allowedUsers: ["bob"] }), members), ["bob"]);
    });

    it("are every member when the hub admits by organization, group or allowAll", () => {
        for (const auth of [
            { type: "github", allowedOrganizations: ["gfts"] },
            { type: "github", allowAll: true },
            { type: "oidc", allowedGroups: ["gfts"] },
            { type: "oidc", adminGroups: ["gfts-admins"] },
        ]) {
            assert.deepStrictEqual(hubMembers(hub(auth), members), members, JSON.stringify(auth));
        }
    });
});
