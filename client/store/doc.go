// Package store keeps mason's state on disk under one config directory:
//
//	accounts/<server-host>/<account-id>/{private_key.pem,account.json}
//	archive/<name>/{cert,chain,fullchain,privkey}N.pem
//	live/<name>/{cert,chain,fullchain,privkey}.pem  -> ../../archive/<name>/…N.pem
//	renewal/<name>.conf     every parameter needed to renew unattended (YAML)
//	renewal/<name>.state    renewal back-off and ARI choice (YAML)
//	.lock                   flock held by one run at a time
//
// Every file is written atomically (temp file in the same directory, fsync,
// rename, fsync of the directory). A new lineage version is written whole to
// archive/ before any live/ link moves, and each link moves by renaming a
// temp symlink over it, so a crash at any point leaves a readable lineage.
//
// It imports the standard library, go.yaml.in/yaml/v3, internal/core (error
// kinds) and client/renew
// (for the persisted renewal state); never a server package.
package store
