package manifest

import "errors"

// What a received bundle can turn out to be. They are defined here, with
// the format, so that every reader of a bundle (bundle/bagit, bundle,
// the drill) and the one exit-code table in internal/cli share them
// without importing each other; package bundle re-exports them.
var (
	// ErrNotABundle: the path holds no exit bundle at all (no bagit.txt,
	// no marker of an unfinished create). Exit 2: the user pointed at the
	// wrong thing.
	ErrNotABundle = errors.New("not an exit bundle")

	// ErrIncomplete: create did not finish the bundle (the signature is
	// missing or the incomplete marker is present). Exit 1.
	ErrIncomplete = errors.New("bundle is incomplete")

	// ErrSignature: the signature over the tag manifest is missing, broken,
	// or made by a key other than the expected one. Exit 1.
	ErrSignature = errors.New("signature check failed")

	// ErrIntegrity: a file is missing, unlisted, or differs from what the
	// bundle's manifests say. Exit 1.
	ErrIntegrity = errors.New("integrity check failed")

	// ErrUnsafe: the bundle tries to make its reader write outside the
	// output, follow a link, or spend unbounded work (a decompression
	// bomb, an scrypt work factor above the cap). Exit 1.
	ErrUnsafe = errors.New("unsafe bundle")

	// ErrFinished: create was pointed at a finished bundle, which it never
	// overwrites. Exit 2.
	// ErrNotOurs: create's output holds something other than an unfinished
	// bundle of the same create command. Exit 2.
	ErrNotOurs = errors.New("the output is not empty and is not an unfinished bundle of this command: choose an empty or new output")

	ErrFinished = errors.New("the output is a finished, signed bundle; exitbundle never overwrites one: choose another output")
)
