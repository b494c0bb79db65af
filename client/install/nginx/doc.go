// Package nginx installs certificates into an nginx configuration.
//
// Parse reads one file into a tree that keeps every byte (whitespace,
// comments, quoting), so a file mason does not change is written back
// unchanged and a changed one differs only where mason edited it. Load
// follows include globs from the main configuration; Find picks the
// server block nginx would choose for a name; the edit methods set
// ssl_certificate, listen and redirects, or add a temporary http-01
// location; Nginx.Apply writes changed files atomically with backups, runs
// `nginx -t`, restores every file byte for byte when nginx refuses the
// result, and reloads nginx when it accepts it.
//
// It imports client/store (for atomic writes) and the standard library.
package nginx
