// Package nginx installs certificates into an nginx configuration.
//
// Parse reads one file into a tree that keeps every byte (whitespace,
// comments, quoting), so a file mason does not change is written back
// unchanged and a changed one differs only where mason edited it. Load
// follows include globs from the main configuration; Find picks the
// server block nginx would choose for a name; the edit methods set
// ssl_certificate, listen and redirects; Transaction writes changed files
// atomically with backups, runs `nginx -t` and restores every file byte for
// byte when nginx refuses the result.
//
// It imports client/store (for atomic writes) and the standard library.
package nginx
