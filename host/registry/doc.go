// Package registry distributes Portico plugins as OCI artifacts: it publishes
// a plugin directory to a registry or an OCI image layout, and installs,
// upgrades and removes plugins in a data directory, pinned by digest in a
// lockfile, checked against this host's ABIs and version, optionally signed,
// with the permissions the operator granted. Live keeps a running host in
// step with the lockfile.
//
// # Artifact format
//
// A plugin is one OCI image manifest (schemaVersion 2, OCI 1.1) following the
// CNCF TAG-Runtime Wasm artifact layout:
//
//   - config: application/vnd.wasm.config.v0+json, {"architecture":"wasm",
//     "os":"wasip1","layerDigests":[<module digest>],"author":<publisher>}
//   - layer 0: the module, application/wasm (pulls also accept
//     application/vnd.wasm.content.layer.v1+wasm and
//     application/vnd.module.wasm.content.layer.v1+wasm)
//   - layer 1: plugin.yaml as written, application/vnd.portico.plugin.manifest.v1+yaml
//   - annotations: org.opencontainers.image.title (name),
//     org.opencontainers.image.version, org.opencontainers.image.created,
//     dev.portico.plugin.abi
//
// A signature is a second manifest (artifactType
// application/vnd.portico.plugin.signature.v1, subject = the plugin manifest)
// tagged "sha256-<hex>.sig" so it is found in any registry or layout; its
// annotation dev.portico.signature.ed25519 is the base64 ed25519 signature of
// the plugin's manifest digest string ("sha256:<hex>") and
// dev.portico.signature.key names the key ("ed25519:" + 16 hex of SHA-256 of
// the public key).
//
// # Installing
//
// A pull resolves the tag (or, without one, the highest semver tag whose ABI
// and spec.requires.portico this host satisfies), verifies the size and
// SHA-256 of the manifest and every blob it keeps, stages the files in
// DATA/plugins/tmp, re-reads them as the host would, and renames the
// directory into DATA/plugins/store/NAME/DIGEST; only then is
// DATA/plugins/lock.json replaced (atomically). An upgrade that asks for
// permissions the running version was not asked for waits, pending, for a
// grant; the old version keeps running.
//
// It imports host (to read manifests and load plugins) and must never import
// web, cmd, catalog stores or config (cmd translates config.Trust into Trust).
package registry
