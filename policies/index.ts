/**
 * The jupyterhub-fleet policy pack, run by `pulumi preview --policy-pack policies` (and on pull requests by
 * .github/workflows/preview.yml). Constructing the pack starts the analyzer's gRPC server, so nothing
 * imports this file: tests and the offline plan import ./rules instead.
 */
import { PolicyPack } from "@pulumi/policy";
import { rules } from "./rules";

new PolicyPack("jupyterhub-fleet", {
    description: "Data safety, privacy and security defaults of jupyterhub-fleet: protected storage, private buckets, " +
        "narrow cloud identities, and z2jh releases that keep network policy, culling, real auth and https.",
    enforcementLevel: "mandatory",
    policies: [...rules],
});
