        # QEMU's -kernel jumps here, at 0x80000000, in machine mode on
        # every hart. Give each hart its own 4096-byte stack from
        # stack0 (start.c) and call start(). QEMU's boot ROM leaves the
        # device tree's address in a1 (bootargs.c reads it): keep it.
        .section .text.entry
        .global _entry
_entry:
        la sp, stack0
        li t0, 4096
        csrr t1, mhartid
        addi t1, t1, 1
        mul t0, t0, t1
        add sp, sp, t0
        call start
spin:
        j spin
