package guest

import (
	"encoding/binary"
	"fmt"
)

// asm assembles hand-encoded machine code: each instruction is given as
// its bytes with the mnemonic beside it, and jumps name labels, so the
// listings in bios.go and efi.go read like assembly while the encoding
// stays visible. The mnemonics are kept so a test can compare them with
// what objdump disassembles.
type asm struct {
	org    int64 // address of the first byte once loaded
	code   []byte
	labels map[string]int
	fixups []fixup
	insns  []insn
}

type insn struct {
	off      int
	mnemonic string
}

type fixup struct {
	at    int    // offset of the displacement
	size  int    // 1 (rel8), 2 (abs16) or 4 (rel32)
	label string // target
	end   int    // offset the displacement is relative to (rel) or 0 (abs)
	abs   bool
}

func newAsm(org int64) *asm { return &asm{org: org, labels: map[string]int{}} }

// i emits one instruction.
func (a *asm) i(mnemonic string, b ...byte) {
	a.insns = append(a.insns, insn{len(a.code), mnemonic})
	a.code = append(a.code, b...)
}

// label names the current offset.
func (a *asm) label(name string) { a.labels[name] = len(a.code) }

// rel8 emits an instruction whose last byte is an 8-bit displacement to
// label, relative to the next instruction (short jumps).
func (a *asm) rel8(mnemonic string, label string, op ...byte) {
	a.i(mnemonic, append(op, 0)...)
	a.fixups = append(a.fixups, fixup{at: len(a.code) - 1, size: 1, label: label, end: len(a.code)})
}

// rel32 emits an instruction ending in a 32-bit displacement to label,
// relative to the next instruction (RIP-relative addressing).
func (a *asm) rel32(mnemonic string, label string, op ...byte) {
	a.i(mnemonic, append(op, 0, 0, 0, 0)...)
	a.fixups = append(a.fixups, fixup{at: len(a.code) - 4, size: 4, label: label, end: len(a.code)})
}

// abs16 emits an instruction ending in the 16-bit address of label
// (real mode, where org is the load address).
func (a *asm) abs16(mnemonic string, label string, op ...byte) {
	a.i(mnemonic, append(op, 0, 0)...)
	a.fixups = append(a.fixups, fixup{at: len(a.code) - 2, size: 2, label: label, abs: true})
}

// data emits bytes that are not instructions.
func (a *asm) data(b []byte) { a.code = append(a.code, b...) }

// link resolves the labels and returns the machine code.
func (a *asm) link() ([]byte, error) {
	for _, f := range a.fixups {
		target, ok := a.labels[f.label]
		if !ok {
			return nil, fmt.Errorf("guest: asm: no label %q", f.label)
		}
		switch {
		case f.abs:
			addr := a.org + int64(target)
			if addr > 0xffff {
				return nil, fmt.Errorf("guest: asm: %q at %#x is out of 16-bit range", f.label, addr)
			}
			binary.LittleEndian.PutUint16(a.code[f.at:], uint16(addr))
		case f.size == 1:
			d := target - f.end
			if d < -128 || d > 127 {
				return nil, fmt.Errorf("guest: asm: jump to %q is %d bytes, too far for rel8", f.label, d)
			}
			a.code[f.at] = byte(int8(d))
		default:
			binary.LittleEndian.PutUint32(a.code[f.at:], uint32(int32(target-f.end)))
		}
	}
	return a.code, nil
}
