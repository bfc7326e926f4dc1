// Package layout holds no code: its tests keep the module's shape as
// DESIGN.md and the redesign issue decide it. Only bundle/bagit reads and
// writes tar; only internal/fsx creates, renames or removes output files;
// no package grows past 2,000 lines of non-test Go.
package layout
