// Package bundle writes, verifies and restores exit bundles: a customer's
// virtual machines as a signed, optionally encrypted BagIt bag that anyone
// can check, decrypt and restart with stock tools (ssh-keygen, sha256sum,
// age, zstd, qemu-img) following the bundle's own index.
//
// To make one, call Create with one or more Sources (OpenSource for a
// folder of OVF exports or an .ova; bundle/vsphere for a vCenter) and a
// signing key from bundle/keys. To check one, call Verify; to get plain
// OVF folders back, Restore. Inspect reads what a bundle holds without
// touching the payload. Errors a caller acts on are ErrNotABundle (the
// path holds none), ErrIncomplete, ErrSignature, ErrIntegrity, ErrUnsafe
// (a received bundle failed a check) and, for Create, ErrFinished,
// ErrNotOurs and ErrVMFailed; internal/cli maps them to exit codes.
//
// A bundle is a folder (or the same bag as one tar file):
//
//	bagit.txt bag-info.txt manifest-sha256.txt tagmanifest-sha256.txt
//	tagmanifest-sha256.txt.sig   SSHSIG over the tag manifest, written last
//	exit-manifest.json index.html README.txt signer.pub [TERMS.html]
//	data/vms/<vm>/<vm>.ovf <vm>.mf <file>[.zst][.age]
//
// Each concern has its package: bundle/manifest the format,
// bundle/bagit the one bag reader (folder or tar) and the folder sink,
// bundle/bagit/tarsink the one-pass tar and the tar stream, bundle/seal the signature, bundle/index the index, bundle/source
// the OVF and OVA sources, and, internal, the store pipeline, the resume
// journal and the checks of a received bundle.
//
// Create reads every input byte once: one streaming pipeline per file
// hashes the plaintext, compresses (zstd), encrypts (age), hashes what is
// stored and writes it, with the stages running concurrently and several
// files at once: Jobs files across every VM of every source, whose VMs are
// exported in parallel (each VM's descriptor and .mf written when its
// files are done). Memory stays flat whatever the file sizes.
//
// Nothing unfinished looks finished: until the signature exists, the
// folder holds the marker IncompleteMarker, and running the same Create
// again resumes the bundle, keeping the files already stored after
// checking their hashes. Create never overwrites a finished bundle, and
// writes only through internal/fsx: never through a link, never over a
// file it did not claim.
//
// Payload names are mapped to [A-Za-z0-9._-] by SanitizeName, so
// "sha256sum -c manifest-sha256.txt" run in the bag validates it, and every
// descriptor's hrefs and sizes are rewritten to match what was stored.
package bundle
