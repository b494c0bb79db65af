package store

import "os"

// WriteFileAtomic replaces path with data so that readers see the old or
// the new content, never a mix, even across a crash: temp file in the same
// directory, fsync, rename, fsync of the directory. Installers use it for
// the web-server files they edit.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	return writeFile(path, data, perm)
}
