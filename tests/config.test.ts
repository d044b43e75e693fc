import * as assert from "assert";
import { parseFleetConfig } from "../components/config";
import { expectProblem, fleetWith, problemsOf } from "./configProblems";
import { awsCluster, awsFleet, githubHub } from "./fixtures";

describe("config: a valid fleet", () => {
    it("parses, applies hubDefaults and chart defaults", () => {
        const fleet = parseFleetConfig(awsFleet(), { stack: "staging", secretKeys: ["hubSecrets"] });
        const hub = fleet.hubs.staging;
        assert.strictEqual(hub.chartVersion, "4.4.2");
        assert.deepStrictEqual(hub.values, { cull: { timeout: 7200 } });
        assert.strictEqual(hub.auth.type, "github");
        assert.strictEqual(fleet.clusters.uw2.homeStorage.type, "efs");
        assert.strictEqual(fleet.hubSecrets.staging.auth?.clientSecret, "gh-client-secret");
    });

    it("lets a hub's own values win over hubDefaults, merging maps", () => {
        const fleet = parseFleetConfig(fleetWith(f => {
            f.hubs.staging.values = { cull: { every: 60 }, singleuser: { memory: { limit: "4G" } } };
        }), { stack: "staging", secretKeys: ["hubSecrets"] });
        assert.deepStrictEqual(fleet.hubs.staging.values, { cull: { timeout: 7200, every: 60 }, singleuser: { memory: { limit: "4G" } } });
    });
});

describe("config: every mistake reported at once", () => {
    it("lists typos, missing fields, wrong types and dangling references together", () => {
        const problems = problemsOf(fleetWith(f => {
            f.clusters.uw2.regoin = "us-west-2";
            delete f.clusters.uw2.region;
            f.clusters.uw2.nodePools.user.maxNodes = "twenty";
            f.hubs.staging.auth.clientID = f.hubs.staging.auth.clientId;
            f.hubs.staging.cloudAccess.bucketAdminAccess = ["scrach"];
            f.hubs.other = githubHub("uw3");
        }));
        expectProblem(problems, /^clusters\.uw2\.regoin: unknown key \(did you mean region\?\)$/);
        expectProblem(problems, /^clusters\.uw2\.region: missing required field/);
        expectProblem(problems, /^clusters\.uw2\.nodePools\.user\.maxNodes: expected a number, got string "twenty"/);
        expectProblem(problems, /^hubs\.staging\.auth\.clientID: unknown key \(did you mean clientId\?\)$/);
        expectProblem(problems, /^hubs\.other\.cluster: no cluster "uw3" is defined \(did you mean uw2\?\)$/);
        assert.ok(problems.length >= 5);
    });

    it("checks bucket references in cloudAccess and bucketEnv, with a suggestion", () => {
        const problems = problemsOf(fleetWith(f => {
            f.hubs.staging.cloudAccess.bucketAdminAccess = ["scrach"];
            f.hubs.staging.bucketEnv = { SCRATCH_BUCKET: "tmp" };
        }));
        expectProblem(problems, /^hubs\.staging\.cloudAccess\.bucketAdminAccess\[0\]: no bucket "scrach" on cluster uw2 \(did you mean scratch\?\)/);
        expectProblem(problems, /^hubs\.staging\.bucketEnv\.SCRATCH_BUCKET: no bucket "tmp" on cluster uw2/);
    });

    it("refuses a bucket URL for users who have no access to the bucket", () => {
        const problems = problemsOf(fleetWith(f => { f.hubs.staging.cloudAccess.bucketAdminAccess = []; }));
        expectProblem(problems, /^hubs\.staging\.bucketEnv\.SCRATCH_BUCKET: users would get the bucket's URL but no access .*bucketAdminAccess/);
    });

    it("rejects fields that belong to another provider", () => {
        const problems = problemsOf(fleetWith(f => {
            f.hubs.staging.cloudAccess.requestorPays = true;
            f.clusters.uw2.zone = "us-west-2a";
            f.clusters.uw2.homeStorage = { type: "filestore", capacityGb: 1024 };
        }));
        expectProblem(problems, /^hubs\.staging\.cloudAccess\.requestorPays: requestorPays applies to gcp clusters only, and uw2 is aws/);
        expectProblem(problems, /^clusters\.uw2\.zone: unknown key \(zone applies to gcp clusters only, and this cluster is aws; remove it\)/);
        expectProblem(problems, /^clusters\.uw2\.homeStorage\.type: string "filestore" is not supported on aws clusters \(use one of: efs, nfs-server\)/);
    });

    it("requires an exact chart version", () => {
        const problems = problemsOf(fleetWith(f => { f.hubs.staging.chartVersion = "^4.4.0"; }));
        expectProblem(problems, /^hubs\.staging\.chartVersion: string "\^4\.4\.0" must be an exact chart version such as 4\.4\.2/);
    });

    it("moves secrets out of hubs and into hubSecrets, with the command to run", () => {
        const problems = problemsOf(fleetWith(f => {
            f.hubs.staging.auth.clientSecret = "oops";
            f.hubs.staging.values = { hub: { config: { GitHubOAuthenticator: { client_secret: "oops" } } } };
        }));
        expectProblem(problems, /^hubs\.staging\.auth\.clientSecret: unknown key \(secrets go in hubSecrets, encrypted: pulumi config set --secret --path 'hubSecrets\.staging\.auth\.clientSecret'/);
        expectProblem(problems, /^hubs\.staging\.values\.hub\.config\.GitHubOAuthenticator\.client_secret: looks like a secret in plain config .*pulumi config set --secret --path 'hubSecrets\.staging\.values\.hub\.config\.GitHubOAuthenticator\.client_secret'/);
    });

    it("names a secret a hub needs but hubSecrets lacks, with the command to set it", () => {
        const problems = problemsOf(fleetWith(f => {
            delete f.hubSecrets;
            f.hubs.staging.database = { type: "postgres" };
        }), []);
        expectProblem(problems, /^hubSecrets\.staging\.auth\.clientSecret: missing: github auth needs the OAuth client secret \(run: pulumi config set --secret --path 'hubSecrets\.staging\.auth\.clientSecret'/);
        expectProblem(problems, /^hubSecrets\.staging\.database\.url: missing: .*pulumi config set --secret --path 'hubSecrets\.staging\.database\.url'/);
    });

    it("refuses hubSecrets stored in plain text, and secure values inside hubs", () => {
        expectProblem(problemsOf(awsFleet(), []), /^hubSecrets: is stored in plain text in the stack file/);
        expectProblem(problemsOf(awsFleet(), ["hubSecrets", "hubs"]), /^hubs: holds a secure value/);
    });

    it("enforces cloud name limits", () => {
        const problems = problemsOf(fleetWith(f => {
            f.clusters.uw2.buckets.Bad_Name = {};
            f.hubs["Staging_Hub"] = githubHub("uw2");
            f.hubs["a-hub-whose-name-makes-the-iam-role-name-longer-than-sixty-four"] = githubHub("uw2");
            f.hubs["h".repeat(64)] = githubHub("uw2");
            f.clusters.uw2.buckets.long = { name: "b".repeat(64) };
            f.clusters.uw2.buckets.short = { name: "bb" };
        }));
        expectProblem(problems, new RegExp(`^hubs\\.${"h".repeat(64)}: hub key is not a valid namespace name \\(.*at most 63 characters\\)`));
        expectProblem(problems, new RegExp(`^clusters\\.uw2\\.buckets\\.long\\.name: bucket name "${"b".repeat(64)}" is not allowed by the cloud \\(bucket names are 3–63`));
        expectProblem(problems, /^clusters\.uw2\.buckets\.short\.name: bucket name "bb" is not allowed by the cloud/);
        expectProblem(problems, /^clusters\.uw2\.buckets\.Bad_Name: bucket name "uw2-Bad_Name" is not allowed by the cloud/);
        expectProblem(problems, /^hubs\.Staging_Hub: hub key is not a valid namespace name/);
        expectProblem(problems, /IAM role name "uw2-a-hub-whose-name.*" has 67 characters; AWS allows 64/);
    });

    it("enforces the GCP service-account id limit of 29 characters for cluster + hub", () => {
        const gcp = {
            provider: "gcp", project: "example-project", region: "us-central1", zone: "us-central1-b",
            kubernetesVersion: "1.33", nodePools: { core: { machineType: "n2-highmem-4", minNodes: 1, maxNodes: 2 },
                user: { machineType: "n2-highmem-16", minNodes: 0, maxNodes: 10 } },
            buckets: { scratch: { deleteAfterDays: 7 } },
        };
        const problems = problemsOf({
            clusters: { "pangeo-central": gcp },
            hubs: { "a-very-long-hub-name": githubHub("pangeo-central", { cloudAccess: { bucketAdminAccess: ["scratch"] } }) },
            hubSecrets: { "a-very-long-hub-name": { auth: { clientSecret: "s" } } },
        });
        expectProblem(problems, /^hubs\.a-very-long-hub-name: the hub's GCP service account id "pangeo-central-a-very-long-hub-name" has 35 characters; GCP allows 6–30/);
        const tooShort = problemsOf({
            clusters: { ab: gcp },
            hubs: { c: githubHub("ab", { cloudAccess: { bucketAdminAccess: ["scratch"] } }) },
            hubSecrets: { c: { auth: { clientSecret: "s" } } },
        });
        expectProblem(tooShort, /^hubs\.c: the hub's GCP service account id "ab-c" has 4 characters; GCP allows 6–30 \(lengthen the hub key/);
    });

    it("allows dummy auth only on a local cluster", () => {
        const problems = problemsOf(fleetWith(f => {
            f.hubs.staging.auth = { type: "dummy" };
            delete f.hubSecrets;
        }), []);
        expectProblem(problems, /^hubs\.staging\.auth\.type: dummy auth lets anyone log in .*allowed only on a local cluster/);
    });

    it("refuses a hub nobody could log in to", () => {
        const problems = problemsOf(fleetWith(f => { f.hubs.staging.auth = { type: "github", clientId: "x" }; }));
        expectProblem(problems, /^hubs\.staging\.auth: nobody could log in: JupyterHub 5 needs an allow rule/);
    });

    it("requires oidc auth for Vault user secrets", () => {
        const problems = problemsOf(fleetWith(f => {
            f.hubs.staging.userSecrets = { vault: { address: "https://vault.example.org", role: "hub", mount: "kv", path: "users/{username}" } };
        }));
        expectProblem(problems, /^hubs\.staging\.userSecrets\.vault: Vault logs users in with their OIDC token, and github auth keeps none/);
    });

    it("requires a contact email for https", () => {
        const problems = problemsOf(fleetWith(f => { delete f.hubs.staging.contactEmail; }));
        expectProblem(problems, /^hubs\.staging\.contactEmail: missing: Let's Encrypt needs a contact address/);
    });

    it("checks node pools: a core pool, min <= max, spot only on user pools", () => {
        const problems = problemsOf(fleetWith(f => {
            f.clusters.uw2.nodePools = {
                system: { machineType: "r5.xlarge", minNodes: 3, maxNodes: 1, purpose: "user" },
            };
            f.clusters.uw1 = awsCluster({ region: "us-west-1", buckets: {} });
            f.clusters.uw1.nodePools.core.spot = true;
        }));
        expectProblem(problems, /^clusters\.uw2\.nodePools: no core node pool/);
        expectProblem(problems, /^clusters\.uw2\.nodePools\.system\.minNodes: 3 is greater than maxNodes \(1\)/);
        expectProblem(problems, /^clusters\.uw1\.nodePools\.core\.spot: the core pool runs the hub and proxy/);
    });

    it("keeps the core pool from scaling to zero and VPCs large enough for their subnets", () => {
        expectProblem(problemsOf(fleetWith(f => { f.clusters.uw2.nodePools.core.minNodes = 0; })),
            /^clusters\.uw2\.nodePools\.core\.minNodes: the core pool runs the hub, the proxy and cluster DNS/);
        expectProblem(problemsOf(fleetWith(f => { f.clusters.uw2.network = { vpcCidr: "10.0.0.0/24" }; })), /^clusters\.uw2\.network\.vpcCidr: string "10\.0\.0\.0\/24" must be an IPv4 CIDR block between \/16 and \/22/);
    });

    it("runs EKS only on Kubernetes versions the cluster autoscaler has a release for", () => {
        expectProblem(problemsOf(fleetWith(f => { f.clusters.uw2.kubernetesVersion = "1.29"; })),
            /^clusters\.uw2\.kubernetesVersion: no cluster autoscaler release is known for Kubernetes 1\.29 \(use one of 1\.30, .*1\.35, or add its cluster-autoscaler image tag to components\/aws\/autoscalerRelease\.ts\)$/);
        assert.deepStrictEqual(problemsOf(fleetWith(f => { f.clusters.uw2.kubernetesVersion = "1.35"; })), []);
    });

    it("reports a misspelled top-level key instead of ignoring it", () => {
        const raw = awsFleet() as Record<string, unknown>;
        raw.hub = raw.hubs;
        delete raw.hubs;
        expectProblem(problemsOf(raw), /^hub: unknown config key jupyterhub-fleet:hub \(did you mean hubs\?\)$/);
    });

    it("refuses two buckets with one name across the fleet", () => {
        const problems = problemsOf(fleetWith(f => {
            f.clusters.uw1 = awsCluster({ region: "us-west-1", buckets: { data: { name: "uw2-scratch" } } });
        }));
        expectProblem(problems, /^clusters\.uw1\.buckets\.data: bucket name "uw2-scratch" is also used by clusters\.uw2\.buckets\.scratch/);
    });

    it("refuses hubSecrets for a hub that does not exist", () => {
        const problems = problemsOf(fleetWith(f => { f.hubSecrets.stagign = { auth: { clientSecret: "x" } }; }));
        expectProblem(problems, /^hubSecrets\.stagign: no hub "stagign" is defined/);
    });
});
