package ca

import "time"

// Certificate IDs. Each is also the base name of the files under <dataDir>/ca
// and the last path segment of the certificate's AIA URL.
const (
	idRootECDSA  = "root-e1"
	idRootRSA    = "root-r1"
	idIntECDSA   = "e1"
	idIntRSA     = "r1"
	idCrossECDSA = "e1-by-root-r1" // e1's subject and key, signed by root-r1
)

// keySpec names a key algorithm and size.
type keySpec struct {
	typ  string // KeyECDSA or KeyRSA
	bits int    // curve size for ECDSA, modulus size for RSA
}

// node is one certificate of the hierarchy.
type node struct {
	id       string
	keyID    string // whose key file holds the private key; == id except for cross-signatures
	parentID string // "" for a self-signed root
	key      keySpec
	cn       string
	validity time.Duration
}

func (n node) isRoot() bool  { return n.parentID == "" }
func (n node) ownsKey() bool { return n.keyID == n.id }

// plan lists the certificates of the hierarchy cfg describes, parents
// before children, so creating them in order always works.
func plan(cfg Config) []node {
	has := cfg.hasKeyType
	var nodes []node
	if has(KeyECDSA) {
		nodes = append(nodes,
			node{id: idRootECDSA, keyID: idRootECDSA, key: keySpec{KeyECDSA, 384}, cn: cfg.Names.RootECDSA, validity: cfg.RootValidity},
			node{id: idIntECDSA, keyID: idIntECDSA, parentID: idRootECDSA, key: keySpec{KeyECDSA, 256}, cn: cfg.Names.IntermediateECDSA, validity: cfg.IntermediateValidity})
	}
	if has(KeyRSA) {
		nodes = append(nodes,
			node{id: idRootRSA, keyID: idRootRSA, key: keySpec{KeyRSA, 4096}, cn: cfg.Names.RootRSA, validity: cfg.RootValidity},
			node{id: idIntRSA, keyID: idIntRSA, parentID: idRootRSA, key: keySpec{KeyRSA, 2048}, cn: cfg.Names.IntermediateRSA, validity: cfg.IntermediateValidity})
	}
	if has(KeyECDSA) && has(KeyRSA) {
		nodes = append(nodes, node{id: idCrossECDSA, keyID: idIntECDSA, parentID: idRootRSA,
			key: keySpec{KeyECDSA, 256}, cn: cfg.Names.IntermediateECDSA, validity: cfg.IntermediateValidity})
	}
	return nodes
}
