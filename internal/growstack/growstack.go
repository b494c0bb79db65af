// Package growstack grows the calling goroutine's stack once, up front.
//
// A goroutine starts with a small stack that the runtime doubles, copying
// it and adjusting every frame, each time a call needs more. An ACME
// request or a validation runs on a fresh goroutine and reaches SQLite's
// byte-code interpreter (a very large frame) several calls deep, so it
// grew its stack three or four times per request, each copy walking a
// deeper stack: about 4% of the server's CPU per issuance. Growing once at
// the top, while the stack is shallow, costs one cheap copy.
//
// It imports only the standard library.
package growstack

// Size is the stack size Grow ensures. An ACME request's deepest path
// (handler, JWS verification, database/sql, the SQLite interpreter) fits.
const Size = 32 << 10

// frame is a little under Size: the goroutine's own frames above Grow
// take the rest, and the runtime rounds a stack up to a power of two.
const frame = Size - 4<<10

// Grow makes the stack of the goroutine that calls it at least about Size
// bytes. Call it first thing in a goroutine known to run deep.
func Grow() { grow(0) }

//go:noinline
func grow(i int) byte {
	var buf [frame]byte
	// Indexing with an argument keeps the compiler from proving the
	// array unused and dropping the frame.
	return buf[i%frame]
}
