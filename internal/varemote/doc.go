// Package varemote is multi-perspective issuance corroboration (CA/Browser
// Forum Baseline Requirements 3.2.2.9): remote validation perspectives
// that repeat each validation and CAA check from elsewhere on the network,
// and the primary's Validator that asks them and applies the quorum.
//
// Server is one remote perspective (`quarry va`): an HTTPS service that
// runs Quarry's own internal/va for each request and answers with the
// records or the error kind and detail. Only a primary holding a client
// certificate from the CA the operator names may ask (mutual TLS).
//
// Client asks one remote perspective; Multi wraps the local VA and the
// clients and satisfies ra.Validator. With no perspectives configured the
// server does not build a Multi at all, so the local VA alone decides.
//
// It may import the standard library, acme, internal/core and internal/va;
// never ra, wfe or storage.
package varemote
