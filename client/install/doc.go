// Package install holds mason's web-server installers: code that puts a
// lineage's certificate into a web server's configuration and reloads it.
// Each server has its own subpackage (nginx first). Installers may import
// client/store and the standard library, never a server package.
package install
