#!/usr/bin/env node
/**
 * Helm post-renderer of a hub's NFS server on an existing cluster (homeNfsServer.ts): the fleet has made the claim
 * the chart's Deployment mounts, from the site's storage class, so the chart's own claim of that name (class "",
 * which nothing would bind) is dropped. Helm pipes the rendered manifests in and installs what comes out
 * (helm pkg/postrender/exec.go). Anything unexpected stops the install, with the reason, rather than change
 * what is deployed.
 */
"use strict";
const { parseDocument } = require("yaml");

/** The chart's volume of the export (jupyterhub-home-nfs 1.2.0 templates/deployment.yaml). */
const EXPORT_VOLUME = "home-directories";

/**
 * The manifests without the chart's claim for the export; throws on anything else. The documents that stay are
 * passed on as helm wrote them, byte for byte: split at the `---` lines that start each one (a `---` at the start
 * of a line ends any YAML document, block scalars included), not parsed and written out again.
 */
function withoutChartClaim(manifests) {
    const documents = manifests.split(/^---$/m).map(text => {
        const document = parseDocument(text);
        if (document.errors.length > 0) throw new Error(`the rendered chart does not parse: ${document.errors[0].message}`);
        return { text, object: document.toJS() };
    });
    const claimNames = documents
        .filter(({ object }) => object && object.kind === "Deployment")
        .flatMap(({ object }) => object.spec.template.spec.volumes ?? [])
        .filter(volume => volume.name === EXPORT_VOLUME && volume.persistentVolumeClaim)
        .map(volume => volume.persistentVolumeClaim.claimName);
    if (claimNames.length !== 1) {
        throw new Error(`expected one Deployment mounting a claim as volume ${EXPORT_VOLUME}, found ${claimNames.length}`);
    }
    const isChartClaim = object => object && object.kind === "PersistentVolumeClaim" && object.metadata.name === claimNames[0];
    const claims = documents.filter(({ object }) => isChartClaim(object));
    if (claims.length !== 1) throw new Error(`expected the chart's claim ${claimNames[0]} once, found it ${claims.length} times`);
    if (claims[0].object.spec.volumeName) {
        throw new Error(`the chart's claim ${claimNames[0]} is bound to its own volume ${claims[0].object.spec.volumeName}: no cloud disk may be set`);
    }
    // What precedes the first `---` (nothing, from helm) and documents of nothing but a `# Source` comment stay out.
    return documents.filter(({ object }) => object !== null && !isChartClaim(object)).map(({ text }) => `---${text}`).join("");
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
