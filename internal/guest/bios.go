package guest

import "fmt"

// bootSector returns the boot code of a master boot record (at most 440
// bytes, before the disk signature and the partition table) that prints
// the guest's marker on COM1 and the screen, then halts.
//
// The BIOS loads sector 0 at 0000:7C00 and jumps there in 16-bit real
// mode with the boot drive in DL. The program sets the segments, programs
// COM1 for 115200 baud 8N1, and writes each character of the message both
// through int 10h (teletype output: the screen) and to the UART's data
// port once its transmit register is empty.
func bootSector(name string) ([]byte, error) {
	code, _, err := bootProgram(name)
	return code, err
}

// bootProgram is bootSector with the instruction list, for the test that
// disassembles it.
func bootProgram(name string) ([]byte, []insn, error) {
	a := newAsm(0x7c00)
	a.i("jmp 0x0:0x7c05", 0xea, 0x05, 0x7c, 0x00, 0x00) // far jump: CS:IP = 0000:7C05 whatever the BIOS used
	a.i("cli", 0xfa)                                    // no interrupts while the stack moves
	a.i("xor ax,ax", 0x31, 0xc0)                        // ax = 0
	a.i("mov ds,ax", 0x8e, 0xd8)                        // data segment 0: the message is at 0x7Cxx
	a.i("mov es,ax", 0x8e, 0xc0)                        //
	a.i("mov ss,ax", 0x8e, 0xd0)                        // stack segment 0...
	a.i("mov sp,0x7c00", 0xbc, 0x00, 0x7c)              // ...growing down below this code
	a.i("sti", 0xfb)                                    // the BIOS services need interrupts
	a.i("cld", 0xfc)                                    // lodsb counts upwards
	a.i("mov ax,0x3", 0xb8, 0x03, 0x00)                 // int 10h AH=0 AL=3: 80x25 text mode, clears the screen
	a.i("int 0x10", 0xcd, 0x10)                         //
	// COM1 (I/O base 0x3F8): each write is mov dx,PORT; mov al,VALUE; out dx,al.
	for _, w := range []struct {
		port uint16
		val  byte
		why  string
	}{
		{0x3f9, 0x00, "interrupt enable register: no UART interrupts"},
		{0x3fb, 0x80, "line control: DLAB=1, the next two ports set the baud divisor"},
		{0x3f8, 0x01, "divisor low byte: 115200 / 1 = 115200 baud"},
		{0x3f9, 0x00, "divisor high byte"},
		{0x3fb, 0x03, "line control: 8 data bits, no parity, 1 stop bit, DLAB=0"},
		{0x3fa, 0xc7, "FIFO control: enable and clear both FIFOs"},
		{0x3fc, 0x03, "modem control: DTR and RTS"},
	} {
		a.i(fmt.Sprintf("mov dx,%#x", w.port), 0xba, byte(w.port), byte(w.port>>8))
		a.i(fmt.Sprintf("mov al,%#x", w.val), 0xb0, w.val)
		a.i("out dx,al", 0xee)
	}
	a.abs16("mov si,MSG", "msg", 0xbe) // si = address of the message
	a.label("next")
	a.i("lods al,BYTE PTR ds:[si]", 0xac) // al = *si++ (lodsb)
	a.i("test al,al", 0x84, 0xc0)         // end of the NUL-terminated message?
	a.rel8("je HALT", "halt", 0x74)       //
	a.i("mov cl,al", 0x88, 0xc1)          // keep the character: the BIOS call and the port poll use al
	a.i("mov ah,0xe", 0xb4, 0x0e)         // int 10h AH=0Eh: teletype output of al
	a.i("mov bx,0x7", 0xbb, 0x07, 0x00)   // page 0, light grey
	a.i("int 0x10", 0xcd, 0x10)           //
	a.i("mov dx,0x3fd", 0xba, 0xfd, 0x03) // COM1 line status register
	a.label("wait")
	a.i("in al,dx", 0xec)                 // read the status
	a.i("test al,0x20", 0xa8, 0x20)       // bit 5: transmit holding register empty
	a.rel8("je WAIT", "wait", 0x74)       // not yet: poll again
	a.i("mov dx,0x3f8", 0xba, 0xf8, 0x03) // COM1 data register
	a.i("mov al,cl", 0x88, 0xc8)          // the character
	a.i("out dx,al", 0xee)                // send it
	a.rel8("jmp NEXT", "next", 0xeb)      // next character
	a.label("halt")
	a.i("cli", 0xfa)                 // nothing left to do: no interrupts...
	a.i("hlt", 0xf4)                 // ...and stop the CPU
	a.rel8("jmp HALT", "halt", 0xeb) // (an NMI can still wake it: halt again)
	a.label("msg")
	a.data([]byte(Marker(name) + "\r\nfirmware: BIOS; exitkit's boot sector halted the CPU\r\n\x00"))
	code, err := a.link()
	if err != nil {
		return nil, nil, err
	}
	if len(code) > 440 {
		return nil, nil, fmt.Errorf("guest: boot code for %q is %d bytes; a master boot record holds 440", name, len(code))
	}
	return code, a.insns, nil
}

// mbr lays out sector 0: boot code, a zero disk signature, up to four
// 16-byte partition entries, and the 0x55AA boot signature the BIOS checks.
func mbr(boot []byte, entries []byte) []byte {
	s := make([]byte, sectorSize)
	copy(s, boot)
	copy(s[446:], entries)
	s[510], s[511] = 0x55, 0xaa
	return s
}
