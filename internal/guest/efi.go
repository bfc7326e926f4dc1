package guest

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"unicode/utf16"
)

// Offsets into the UEFI tables the application uses (UEFI 2.x, x86-64).
const (
	systemTableConOut   = 0x40 // EFI_SYSTEM_TABLE.ConOut: after Hdr(24), FirmwareVendor, FirmwareRevision(+pad), ConsoleInHandle, ConIn, ConsoleOutHandle
	conOutOutputString  = 0x08 // EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL.OutputString, after Reset
	conOutClearScreen   = 0x30 // .ClearScreen, after OutputString, TestString, QueryMode, SetMode, SetAttribute
	peSectionAlignment  = 0x1000
	peFileAlignment     = 0x200
	peTextRVA           = 0x1000
	peImageBase         = 0x400000
	peSubsystemEFIApp   = 10 // IMAGE_SUBSYSTEM_EFI_APPLICATION
	peHeadersSize       = 0x200
	peOptionalHeaderLen = 240 // PE32+ optional header with 16 data directories
)

// efiProgram is the x86-64 code of BOOTX64.EFI: efi_main(ImageHandle in
// rcx, SystemTable in rdx), Microsoft x64 calling convention. It writes
// the ASCII message to COM1 itself (OVMF has set the UART up), clears the
// screen and prints the UTF-16 message through ConOut, which OVMF shows
// on the screen and on its serial terminal, then halts. All addresses are
// RIP-relative, so the image needs no relocations wherever it is loaded.
func efiProgram(name string) ([]byte, []insn, error) {
	a := newAsm(0)
	a.i("sub rsp,0x28", 0x48, 0x83, 0xec, 0x28) // 32 bytes of shadow space for callees, and 16-byte alignment
	a.i("mov rbx,rdx", 0x48, 0x89, 0xd3)        // rbx (callee-saved) = SystemTable
	a.rel32("lea rsi,[rip+ASCII]", "ascii", 0x48, 0x8d, 0x35)
	a.label("next")
	a.i("lods al,BYTE PTR ds:[rsi]", 0xac)      // al = *rsi++ (lodsb)
	a.i("test al,al", 0x84, 0xc0)               // end of the NUL-terminated message?
	a.rel8("je CONOUT", "conout", 0x74)         //
	a.i("mov cl,al", 0x88, 0xc1)                // keep the character: the port poll uses al
	a.i("mov dx,0x3fd", 0x66, 0xba, 0xfd, 0x03) // COM1 line status register
	a.label("wait")
	a.i("in al,dx", 0xec)                       // read the status
	a.i("test al,0x20", 0xa8, 0x20)             // bit 5: transmit holding register empty
	a.rel8("je WAIT", "wait", 0x74)             // not yet: poll again
	a.i("mov dx,0x3f8", 0x66, 0xba, 0xf8, 0x03) // COM1 data register
	a.i("mov al,cl", 0x88, 0xc8)                // the character
	a.i("out dx,al", 0xee)                      // send it
	a.rel8("jmp NEXT", "next", 0xeb)            // next character
	a.label("conout")
	a.i("mov rcx,QWORD PTR [rbx+0x40]", 0x48, 0x8b, 0x4b, systemTableConOut) // rcx = SystemTable->ConOut (This)
	a.i("mov rax,QWORD PTR [rcx+0x30]", 0x48, 0x8b, 0x41, conOutClearScreen) // rax = ConOut->ClearScreen
	a.i("call rax", 0xff, 0xd0)                                              // ClearScreen(ConOut)
	a.i("mov rcx,QWORD PTR [rbx+0x40]", 0x48, 0x8b, 0x4b, systemTableConOut) // rcx = ConOut again (rcx is volatile)
	a.rel32("lea rdx,[rip+UTF16]", "utf16", 0x48, 0x8d, 0x15)                // rdx = the UTF-16 message
	a.i("mov rax,QWORD PTR [rcx+0x8]", 0x48, 0x8b, 0x41, conOutOutputString) // rax = ConOut->OutputString
	a.i("call rax", 0xff, 0xd0)                                              // OutputString(ConOut, message)
	a.label("halt")
	a.i("cli", 0xfa)                 // done: no interrupts...
	a.i("hlt", 0xf4)                 // ...and stop the CPU
	a.rel8("jmp HALT", "halt", 0xeb) // (an NMI can still wake it: halt again)
	msg := Marker(name) + "\r\nfirmware: UEFI; exitkit's BOOTX64.EFI halted the CPU\r\n"
	a.label("ascii")
	a.data(append([]byte(msg), 0))
	for len(a.code)%2 != 0 {
		a.data([]byte{0}) // CHAR16 strings are 2-byte aligned
	}
	a.label("utf16")
	for _, u := range utf16.Encode([]rune(msg)) {
		a.data([]byte{byte(u), byte(u >> 8)})
	}
	a.data([]byte{0, 0})
	code, err := a.link()
	return code, a.insns, err
}

// efiApp wraps the program in a PE32+ image with one .text section, the
// form UEFI firmware loads from \EFI\BOOT\BOOTX64.EFI. The header structs
// are debug/pe's, so their layout is the one Go's PE reader checks.
func efiApp(name string) ([]byte, error) {
	code, _, err := efiProgram(name)
	if err != nil {
		return nil, err
	}
	raw := alignUp(int64(len(code)), peFileAlignment)
	virt := alignUp(int64(len(code)), peSectionAlignment)

	var b bytes.Buffer
	dos := make([]byte, 0x40)
	copy(dos, "MZ")                                 // DOS header magic
	binary.LittleEndian.PutUint32(dos[0x3c:], 0x40) // e_lfanew: the PE header follows
	b.Write(dos)
	b.WriteString("PE\x00\x00")
	fh := pe.FileHeader{
		Machine:              pe.IMAGE_FILE_MACHINE_AMD64,
		NumberOfSections:     1,
		SizeOfOptionalHeader: peOptionalHeaderLen,
		// Executable, may live above 2 GiB. Not "relocations stripped":
		// the code is position independent, and firmware may then load it
		// anywhere.
		Characteristics: pe.IMAGE_FILE_EXECUTABLE_IMAGE | pe.IMAGE_FILE_LARGE_ADDRESS_AWARE,
	}
	oh := pe.OptionalHeader64{
		Magic:               0x20b, // PE32+
		MajorLinkerVersion:  1,
		SizeOfCode:          uint32(raw),
		AddressOfEntryPoint: peTextRVA, // efi_main is the first byte of .text
		BaseOfCode:          peTextRVA,
		ImageBase:           peImageBase,
		SectionAlignment:    peSectionAlignment,
		FileAlignment:       peFileAlignment,
		SizeOfImage:         uint32(peTextRVA + virt),
		SizeOfHeaders:       peHeadersSize,
		Subsystem:           peSubsystemEFIApp,
		SizeOfStackReserve:  0x10000,
		SizeOfStackCommit:   0x10000,
		NumberOfRvaAndSizes: 16, // all empty: no imports, exports or relocations
	}
	sh := pe.SectionHeader32{
		VirtualSize:      uint32(len(code)),
		VirtualAddress:   peTextRVA,
		SizeOfRawData:    uint32(raw),
		PointerToRawData: peHeadersSize,
		Characteristics:  pe.IMAGE_SCN_CNT_CODE | pe.IMAGE_SCN_MEM_EXECUTE | pe.IMAGE_SCN_MEM_READ,
	}
	copy(sh.Name[:], ".text")
	for _, v := range []any{fh, oh, sh} {
		if err := binary.Write(&b, binary.LittleEndian, v); err != nil {
			return nil, err
		}
	}
	b.Write(make([]byte, peHeadersSize-b.Len()))
	b.Write(code)
	b.Write(make([]byte, raw-int64(len(code))))
	return b.Bytes(), nil
}

func alignUp(n, a int64) int64 { return (n + a - 1) / a * a }
