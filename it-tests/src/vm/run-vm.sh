#!/bin/bash
# Runs in the runner container: makes the VM's data disk (ext4, made with mkfs.ext4 -d from the
# scenario folder), boots the kernel under QEMU TCG with the suite's initramfs, unpacks the JUnit
# reports the guest left on its results disk, and turns the guest's verdict into this exit status:
#   0 the suite passed, 1 it failed, 2 no verdict (kernel panic, guest error), 124 host-side timeout.
# Console: on stdout and in OUT/console.log. Reports: OUT/reports/.
# Usage: run-vm.sh KERNEL INITRAMFS SCENARIO_DIR OUT_DIR TIMEOUT_SECONDS [kernel arguments...]
set -u
kernel=$1 initramfs=$2 scenario=$3 out=$4 timeout=$5
shift 5
mkdir -p "$out"

# 5.10 cannot mount ext4 with the features newer e2fsprogs turn on by default
features=^orphan_file,^metadata_csum_seed
truncate -s 2G "$out/data.img"
mkfs.ext4 -q -F -O "$features" -E lazy_itable_init=1,lazy_journal_init=1 -L data -d "$scenario" "$out/data.img" \
	|| exit 2
truncate -s 64M "$out/results.img"

timeout --kill-after=10 "$timeout" qemu-system-x86_64 \
	-accel tcg -cpu max -smp 1 -m 1536 \
	-nodefaults -no-user-config -display none -monitor none -no-reboot \
	-chardev stdio,id=console,signal=off,logfile="$out/console.log" -serial chardev:console \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-kernel "$kernel" -initrd "$initramfs" \
	-append "console=ttyS0 panic=-1 oops=panic quiet raid=noautodetect psmouse.proto=exps $*" \
	-drive file="$out/data.img",if=none,id=data,format=raw,cache=unsafe -device nvme,drive=data,serial=data \
	-drive file="$out/results.img",if=none,id=results,format=raw -device nvme,drive=results,serial=results \
	</dev/null
qemu=$?
rm -f "$out/data.img"
tar -xf "$out/results.img" -C "$out" 2>/dev/null
rm -f "$out/results.img"
case $qemu in
	33) exit 0 ;;
	35) exit 1 ;;
	124 | 137) echo "@@HOST the VM did not finish within $timeout s: killed"; exit 124 ;;
	*) echo "@@HOST no verdict from the VM (QEMU exit status $qemu)"; exit 2 ;;
esac
