package drill

// The only calls the drill makes into package bundle, kept in this one
// file so that porting to a new bundle API touches nothing else: verify
// the whole bundle, read its exit manifest, restore one VM.

import (
	"context"

	"filippo.io/age"

	"github.com/exitkit/exitkit/bundle"
)

// verifyBundle checks the signature and every stored hash.
func verifyBundle(ctx context.Context, opts *Options) (*bundle.Report, error) {
	return bundle.Verify(ctx, opts.Bundle, bundle.VerifyOptions{
		Signer: opts.Signer, SignerFingerprint: opts.SignerFingerprint,
		AllowedSigners: opts.AllowedSigners, Principal: opts.Principal,
	})
}

// readManifest returns exit-manifest.json; verifyBundle has checked it.
func readManifest(opts *Options) (*bundle.Manifest, error) {
	return bundle.Inspect(opts.Bundle)
}

// restoreVM decrypts one VM's files into dir/<vm>/, each checked against
// the bundle's hashes before it is kept.
func restoreVM(ctx context.Context, opts *Options, dir, vm string, ids []age.Identity) error {
	return bundle.Open(ctx, opts.Bundle, bundle.OpenOptions{
		Out: dir, VMs: []string{vm}, Identities: ids,
		Signer: opts.Signer, SignerFingerprint: opts.SignerFingerprint,
		AllowedSigners: opts.AllowedSigners, Principal: opts.Principal,
	})
}
