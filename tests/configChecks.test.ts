/** Every config problem at load time, with the others (issue 17): networks, duplicates, cloud names, resources. */
import * as assert from "assert";
import { parseFleetConfig } from "../components/config";
import { checkCidrs } from "../components/config/cidr";
import { Problems } from "../components/config/errors";
import { expectExactly, fleetWith, problemsOf } from "./configProblems";
import { awsCluster, githubHub } from "./fixtures";

const gcpCluster = (overrides: Record<string, unknown> = {}) => ({
    provider: "gcp", project: "example-project", region: "us-central1", zone: "us-central1-b", kubernetesVersion: "1.33",
    nodePools: { core: { machineType: "n2-standard-2", minNodes: 1, maxNodes: 1 }, user: { machineType: "n2-standard-4", minNodes: 0, maxNodes: 3 } },
    buckets: { scratch: {} },
    ...overrides,
});
const ovhCluster = (overrides: Record<string, unknown> = {}) => ({
    provider: "ovh", serviceName: "5f3c0e2b9a7d4c1e8b6a2f0d9c8e7b6a", region: "GRA11", s3: { region: "gra" },
    kubernetesVersion: "1.35", network: { vlanId: 12, cidr: "10.0.0.0/16" },
    nodePools: { core: { machineType: "b3-8", minNodes: 1, maxNodes: 2 }, user: { machineType: "r3-32", minNodes: 0, maxNodes: 10 } },
    buckets: { "gfts-data": {}, "gfts-vliz": {} },
    ...overrides,
});
const nfsCluster = (overrides: Record<string, unknown> = {}) => ({
    provider: "kubernetes", homeStorage: { type: "nfs", server: "nfs.example.org", path: "/export/homes" }, ...overrides,
});

describe("config checks: networks", () => {
    it("refuses CIDR blocks with numbers above 255 or host bits set, naming the network address", () => {
        const problems = problemsOf(fleetWith(f => {
            f.clusters.uw2.network = { vpcCidr: "10.0.0.1/16" };
            f.clusters.gra = ovhCluster({ network: { vlanId: 12, cidr: "10.0.300.0/24" }, buckets: {} });
        }));
        expectExactly(problems,
            "clusters.uw2.network.vpcCidr: \"10.0.0.1/16\" has host bits set (use the network address: 10.0.0.0/16)",
            "clusters.gra.network.cidr: 10.0.300.0/24 is not an IPv4 address block (use a block such as 10.0.0.0/16)");
    });

    it("refuses two blocks of one network that overlap", () => {
        const problems = new Problems();
        checkCidrs([[["a"], "10.0.0.0/16"], [["b"], "10.1.0.0/16"], [["c"], "10.0.128.0/20"]], problems);
        assert.deepStrictEqual(problems.list, ["c: 10.0.128.0/20 overlaps 10.0.0.0/16 at a (give each range its own addresses)"]);
    });

    it("refuses a zone listed twice, a zone with no subnet slot, and a subnet listed twice", () => {
        expectExactly(problemsOf(fleetWith(f => {
            f.clusters.uw2.network = { availabilityZones: ["us-west-2a", "us-west-2-lax-1a", "us-west-2a"] };
            f.clusters.uw1 = awsCluster({ region: "us-west-1", buckets: {}, network: { vpcId: "vpc-0abc", subnetIds: ["subnet-0a", "subnet-0a"] } });
        })),
        "clusters.uw2.network.availabilityZones[1]: \"us-west-2-lax-1a\" is not a zone us-west-2a … us-west-2f (local and wavelength zones are not supported; list regular zones only)",
        "clusters.uw2.network.availabilityZones: us-west-2a is listed twice (list each zone once)",
        "clusters.uw1.network.subnetIds: subnet-0a is listed twice (list each subnet once, one per zone)");
    });
});

describe("config checks: a bucket listed twice", () => {
    it("refuses a bucket granted twice to a hub (the bucket policy would fail inside the deployment)", () => {
        expectExactly(problemsOf(fleetWith(f => {
            f.hubs.staging.cloudAccess = { bucketAdminAccess: ["scratch", "scratch"], bucketReadonlyAccess: ["persistent", "persistent"] };
        })),
        "hubs.staging.cloudAccess.bucketAdminAccess[1]: bucket scratch is listed twice (list it once)",
        "hubs.staging.cloudAccess.bucketReadonlyAccess[1]: bucket persistent is listed twice (list it once)");
    });

    it("refuses a bucket twice in an access group, or in both its read and write lists", () => {
        expectExactly(problemsOf(fleetWith(f => {
            f.clusters.gra = ovhCluster({ accessGroups: { vliz: { members: ["vlizuser"], read: ["gfts-vliz"], write: ["gfts-data", "gfts-data", "gfts-vliz"] } } });
        })),
        "clusters.gra.accessGroups.vliz.read[0]: bucket gfts-vliz is also in write (list it in one of them)",
        "clusters.gra.accessGroups.vliz.write[1]: bucket gfts-data is listed twice (list it once)");
    });
});

describe("config checks: names the clouds keep unique or reserve", () => {
    it("refuses two hubs mapping to one IAM role, or to a cluster's own role", () => {
        expectExactly(problemsOf(fleetWith(f => {
            f.clusters["uw2-x"] = awsCluster({ buckets: { scratch: {} } });
            f.hubs.y = githubHub("uw2-x", { domain: "y.example.org", cloudAccess: { bucketAdminAccess: ["scratch"] } });
            f.hubs["x-y"] = githubHub("uw2", { domain: "x-y.example.org" });
            f.hubs.autoscaler = githubHub("uw2", { domain: "autoscaler.example.org" });
            for (const key of ["y", "x-y", "autoscaler"]) f.hubSecrets[key] = { auth: { clientSecret: "s" } };
        })),
        "hubs.x-y: the hub's IAM role name \"uw2-x-y\" is also the role of hubs.y (IAM role names are unique in an AWS account: rename one of them)",
        "hubs.autoscaler: the hub's IAM role name \"uw2-autoscaler\" is also the autoscaler role of cluster uw2 (IAM role names are unique in an AWS account: rename one of them)");
    });

    it("refuses two hubs mapping to one GCP service account id in a project", () => {
        expectExactly(problemsOf({
            clusters: { "gke-a": gcpCluster(), gke: gcpCluster() },
            hubs: {
                hub: githubHub("gke-a", { domain: "a.example.org", cloudAccess: { bucketAdminAccess: ["scratch"] } }),
                "a-hub": githubHub("gke", { domain: "b.example.org", cloudAccess: { bucketAdminAccess: ["scratch"] } }),
            },
            hubSecrets: { hub: { auth: { clientSecret: "s" } }, "a-hub": { auth: { clientSecret: "s" } } },
        }),
        "hubs.a-hub: the hub's GCP service account id \"gke-a-hub\" is also the one of hubs.hub in project example-project (service account ids are unique in a GCP project: rename one of the hubs)");
    });

    it("refuses reserved namespaces, release names over 53 characters and two hubs on one domain", () => {
        const long = "h".repeat(54);
        expectExactly(problemsOf(fleetWith(f => {
            for (const key of ["kube-system", "default", "openshift-monitoring", long]) {
                f.hubs[key] = githubHub("uw2", { domain: `${key.slice(0, 20)}.example.org`, cloudAccess: undefined, bucketEnv: {} });
                f.hubSecrets[key] = { auth: { clientSecret: "s" } };
            }
            f.hubs.copy = githubHub("uw2", { cloudAccess: undefined, bucketEnv: {} });
            f.hubSecrets.copy = { auth: { clientSecret: "s" } };
        })),
        "hubs.kube-system: kube-system is a namespace Kubernetes or OpenShift keeps for itself (choose another hub key: default, openshift, kube-* and openshift-* are reserved)",
        "hubs.default: default is a namespace Kubernetes or OpenShift keeps for itself (choose another hub key: default, openshift, kube-* and openshift-* are reserved)",
        "hubs.openshift-monitoring: openshift-monitoring is a namespace Kubernetes or OpenShift keeps for itself (choose another hub key: default, openshift, kube-* and openshift-* are reserved)",
        `hubs.${long}: the hub key is also its helm release name, which helm limits to 53 characters, and has 54 (shorten the hub key)`,
        "hubs.copy.domain: staging.hub.example.org is also the domain of hubs.staging (give each hub its own host name)");
    });

    it("refuses bucket names S3 and Cloud Storage reserve", () => {
        expectExactly(problemsOf(fleetWith(f => {
            f.clusters.uw2.buckets = { data: { name: "xn--data" }, alias: { name: "team-s3alias" }, scratch: {}, persistent: {} };
            f.clusters.gke = gcpCluster({ buckets: { a: { name: "goog-data" }, b: { name: "my-g00gle-data" } } });
        })),
        "clusters.uw2.buckets.data.name: bucket name \"xn--data\" is refused: S3 reserves the prefix xn-- (choose another name)",
        "clusters.uw2.buckets.alias.name: bucket name \"team-s3alias\" is refused: S3 reserves the suffix -s3alias (choose another name)",
        "clusters.gke.buckets.a.name: bucket name \"goog-data\" is refused: Cloud Storage refuses names that begin with goog (choose another name)",
        "clusters.gke.buckets.b.name: bucket name \"my-g00gle-data\" is refused: Cloud Storage refuses names that contain google or a close misspelling of it (choose another name)");
    });
});

describe("config checks: resources, mounts, an empty fleet, typos", () => {
    it("refuses a guarantee above its limit in profiles and values, where the line that sets it is", () => {
        expectExactly(problemsOf(fleetWith(f => {
            f.hubDefaults.values = { singleuser: { memory: { guarantee: "8G", limit: "4G" } } };
            f.hubs.staging.values = { singleuser: { cpu: { guarantee: 2, limit: 1 } } };
            f.hubs.staging.profiles = {
                small: { displayName: "Small", memory: { guarantee: "2Gi", limit: 1073741824 }, default: true },
                large: { displayName: "Large", memory: { guarantee: "6G" } },
                wide: { displayName: "Wide", cpu: { limit: 0.5 } },
            };
        })),
        "hubDefaults.values.singleuser.memory: guarantee 8G is above limit 4G (lower the guarantee or raise the limit)",
        "hubs.staging.values.singleuser.cpu: guarantee 2 is above limit 1 (lower the guarantee or raise the limit)",
        "hubs.staging.profiles.small.memory: guarantee is above limit (lower the guarantee or raise the limit)",
        "hubs.staging.profiles.large.memory: guarantee 6G is above limit 4G; the limit 4G comes from hubDefaults.values.singleuser.memory (set the profile's own limit, or lower its guarantee)",
        "hubs.staging.profiles.wide.cpu: guarantee 2 is above limit 0.5; the guarantee 2 comes from hubs.staging.values.singleuser.cpu (set the profile's own guarantee, or raise its limit)");
    });

    it("refuses a guarantee above its limit in userResources, and checks profiles against it", () => {
        expectExactly(problemsOf(fleetWith(f => {
            f.hubs.staging.userResources = { memory: { guarantee: "3G", limit: "2G" }, cpu: { limit: 1 } };
            f.hubs.staging.profiles = { big: { displayName: "Big", cpu: { guarantee: 2 } } };
        })),
        "hubs.staging.userResources.memory: guarantee 3G is above limit 2G (lower the guarantee or raise the limit)",
        "hubs.staging.profiles.big.cpu: guarantee 2 is above limit 1; the limit 1 comes from hubs.staging.userResources.cpu (set the profile's own limit, or lower its guarantee)");
    });

    it("refuses extra mounts on or inside the home directory, and two mounts on one path", () => {
        expectExactly(problemsOf(fleetWith(f => {
            f.clusters.onprem = nfsCluster({ extraMounts: [
                { name: "home", server: "nfs", path: "/a", mountPath: "/home/jovyan/" },
                { name: "shared", server: "nfs", path: "/b", mountPath: "/home/jovyan/shared" },
                { name: "scratch", server: "nfs", path: "/c", mountPath: "/scratch" },
                { name: "scratch2", server: "nfs", path: "/d", mountPath: "/scratch/" },
            ] });
        })),
        "clusters.onprem.extraMounts[0].mountPath: would hide the user's home directory (mount it elsewhere, e.g. /scratch)",
        "clusters.onprem.extraMounts[1].mountPath: is inside the user's home directory /home/jovyan, which is the user's own volume (mount it elsewhere, e.g. /scratch)",
        "clusters.onprem.extraMounts[3].mountPath: mount path /scratch is used twice (give each mount its own mountPath)");
    });

    it("refuses an empty fleet, which would delete whatever the stack has", () => {
        expectExactly(problemsOf({}, []),
            "jupyterhub-fleet: no clusters and no hubs: this config would deploy nothing and delete whatever the stack has " +
            "(add jupyterhub-fleet:clusters and jupyterhub-fleet:hubs, see README.md; to tear a stack down, run pulumi destroy)");
    });

    it("names typos of provider and type values as typos", () => {
        expectExactly(problemsOf(fleetWith(f => {
            f.clusters.uw2.provider = "awz";
            f.clusters.onprem = nfsCluster({ homeStorage: { type: "nsf", server: "nfs", path: "/homes" } });
            f.hubs.staging.auth.type = "odic";
            f.hubs.other = githubHub("onprem", { auth: { type: "saml" }, cloudAccess: undefined, bucketEnv: {}, domain: "o.example.org" });
        })),
        "clusters.uw2.provider: string \"awz\" looks like a typo of aws (did you mean aws? allowed: aws, gcp, ovh, kubernetes)",
        "clusters.onprem.homeStorage.type: string \"nsf\" looks like a typo of nfs (did you mean nfs? allowed: dynamic, nfs, nfs-server)",
        "hubs.staging.auth.type: string \"odic\" looks like a typo of oidc (did you mean oidc? allowed: github, oidc, cilogon, shared-password, ephemeral, dummy)",
        "hubs.other.auth.type: string \"saml\" is not a known type (use one of: github, oidc, cilogon, shared-password, ephemeral, dummy)");
    });

    it("parses a fleet whose own checks all pass", () => {
        assert.ok(parseFleetConfig(fleetWith(f => { f.clusters.gra = ovhCluster(); }), { stack: "staging", secretKeys: ["hubSecrets"] }).clusters.gra);
    });
});
