#!/usr/bin/env node
/**
 * Helm post-renderer of a hub's NFS server on an existing cluster (homeNfsServer.ts): the fleet has made the claim
 * the chart's Deployment mounts, from the site's storage class, so the chart's own claim of that name (class "",
 * which nothing would bind) is dropped. Helm pipes the rendered manifests in and installs what comes out
 * (helm pkg/postrender/exec.go). Anything unexpected stops the install, with the reason, rather than change
 * what is deployed.
 */
"use strict";
const { parseAllDocuments } = require("yaml");

/** The chart's volume of the export (jupyterhub-home-nfs 1.2.0 templates/deployment.yaml). */
const EXPORT_VOLUME = "home-directories";

/** The manifests without the chart's claim for the export; throws on anything else. */
function withoutChartClaim(manifests) {
    const documents = parseAllDocuments(manifests);
    const broken = documents.find(document => document.errors.length > 0);
    if (broken) throw new Error(`the rendered chart does not parse: ${broken.errors[0].message}`);
    const objects = documents.map(document => document.toJS());
    const claimNames = objects
        .filter(object => object && object.kind === "Deployment")
        .flatMap(deployment => deployment.spec.template.spec.volumes ?? [])
        .filter(volume => volume.name === EXPORT_VOLUME && volume.persistentVolumeClaim)
        .map(volume => volume.persistentVolumeClaim.claimName);
    if (claimNames.length !== 1) {
        throw new Error(`expected one Deployment mounting a claim as volume ${EXPORT_VOLUME}, found ${claimNames.length}`);
    }
    const isChartClaim = object => object && object.kind === "PersistentVolumeClaim" && object.metadata.name === claimNames[0];
    const claims = objects.filter(isChartClaim);
    if (claims.length !== 1) throw new Error(`expected the chart's claim ${claimNames[0]} once, found it ${claims.length} times`);
    if (claims[0].spec.volumeName) {
        throw new Error(`the chart's claim ${claimNames[0]} is bound to its own volume ${claims[0].spec.volumeName}: no cloud disk may be set`);
    }
    // Each document starts with its own `---`, as helm wrote it, so they concatenate.
    return documents.filter((_, i) => !isChartClaim(objects[i])).map(document => {
        document.directives.docStart = true;
        return document.toString();
    }).join("");
}

module.exports = { withoutChartClaim };

if (require.main === module) {
    const chunks = [];
    process.stdin.on("data", chunk => chunks.push(chunk));
    process.stdin.on("end", () => {
        try {
            process.stdout.write(withoutChartClaim(Buffer.concat(chunks).toString("utf8")));
        } catch (error) {
            process.stderr.write(`homeNfsPostrender: ${error.message}\n`);
            process.exitCode = 1;
        }
    });
}
