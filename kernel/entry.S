        # QEMU's -kernel jumps here, at 0x80000000, in machine mode on
        # every hart. Give each hart its own 4096-byte stack from
        # stack0 (start.c) and call start().
        .section .text.entry
        .global _entry
_entry:
        la sp, stack0
        li a0, 4096
        csrr a1, mhartid
        addi a1, a1, 1
        mul a0, a0, a1
        add sp, sp, a0
        call start
spin:
        j spin
