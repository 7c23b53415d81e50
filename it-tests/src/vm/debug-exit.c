/*
 * Ends the VM with a verdict: a write to QEMU's isa-debug-exit device (-device isa-debug-exit,
 * iobase=0xf4,iosize=0x04) makes QEMU exit with (value << 1) | 1. The Debian kernels have no /dev/port,
 * so the write needs ioperm(2) and outb. Usage: debug-exit VALUE (run as root).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: debug-exit VALUE\n");
		return 2;
	}
	if (ioperm(0xf4, 4, 1) != 0) {
		perror("ioperm(0xf4)");
		return 1;
	}
	outb((unsigned char) strtoul(argv[1], NULL, 0), 0xf4);
	fprintf(stderr, "debug-exit: no isa-debug-exit device at 0xf4\n");
	return 1;
}
