#!/bin/bash
# Runs in the runner container: makes the VM's data disk (ext4, made with mkfs.ext4 -d from the
# scenario folder), boots the kernel under QEMU TCG with the suite's initramfs, unpacks the JUnit
# reports the guest left on its results disk, and turns the guest's verdict into this exit status:
#   0 the suite passed, 1 it failed, 2 no verdict (kernel panic, guest error), 124 host-side timeout.
# SCENARIO_DIR/vm.env may ask for more, in shell variables:
#   VM_FAULTY_RANGE=OFFSET+LENGTH  a third disk (virtio, 16 MiB) whose reads of any sector of those bytes
#                                  fail with EIO: QEMU's blkdebug driver answers them with errno 5. QEMU
#                                  does not merge its requests (a merged request fails as a whole)
#   VM_HARD_STOP_SEED=SEED         two boots on the same data disk: the first with the kernel argument
#                                  reactoraio.test.durable.seed=SEED, whose console prints "@@DURABLE <token>"
#                                  once data is forced and "@@STOP" while it writes more, unforced: QEMU is
#                                  killed (SIGKILL) on that line; then the second, with
#                                  reactoraio.test.durable.forced=<token>, whose verdict counts. QEMU
#                                  honours the guest's flushes here (cache=writeback: fdatasync of the image)
# Console: on stdout and in OUT/console.log. Reports: OUT/reports/.
# Usage: run-vm.sh KERNEL INITRAMFS SCENARIO_DIR OUT_DIR TIMEOUT_SECONDS [kernel arguments...]
set -u
kernel=$1 initramfs=$2 scenario=$3 out=$4 timeout=$5
shift 5
arguments=("$@")
mkdir -p "$out"
VM_FAULTY_RANGE=
VM_HARD_STOP_SEED=
if [ -f "$scenario/vm.env" ]; then
	. "$scenario/vm.env"
fi

# 5.10 cannot mount ext4 with the features newer e2fsprogs turn on by default
features=^orphan_file,^metadata_csum_seed
truncate -s 2G "$out/data.img"
mkfs.ext4 -q -F -O "$features" -E lazy_itable_init=1,lazy_journal_init=1 -L data -d "$scenario" "$out/data.img" \
	|| exit 2
truncate -s 64M "$out/results.img"

# without a hard stop nothing outlives the VM: QEMU may ignore the guest's flushes
data_cache=unsafe
if [ -n "$VM_HARD_STOP_SEED" ]; then
	data_cache=writeback
fi
disks=(-drive file="$out/data.img",if=none,id=data,format=raw,cache=$data_cache -device nvme,drive=data,serial=data
	-drive file="$out/results.img",if=none,id=results,format=raw -device nvme,drive=results,serial=results)
if [ -n "$VM_FAULTY_RANGE" ]; then
	first=$((${VM_FAULTY_RANGE%+*} / 512))
	end=$(((${VM_FAULTY_RANGE%+*} + ${VM_FAULTY_RANGE#*+} + 511) / 512))
	for ((sector = first; sector < end; sector++)); do
		printf '[inject-error]\nevent = "read_aio"\niotype = "read"\nerrno = "5"\nsector = "%d"\nonce = "off"\n\n' "$sector"
	done >"$out/blkdebug.conf"
	truncate -s 16M "$out/faulty.img"
	disks+=(-drive "if=none,id=faulty,format=raw,file.driver=blkdebug,file.config=$out/blkdebug.conf,file.image.filename=$out/faulty.img"
		-device virtio-blk-pci,drive=faulty,serial=faulty,request-merging=off)
fi

# boot [kernel arguments...]: runs the VM; the console goes to stdout and is appended to OUT/console.log
boot() {
	timeout --kill-after=10 "$timeout" qemu-system-x86_64 \
		-accel tcg -cpu max -smp 1 -m 1536 \
		-nodefaults -no-user-config -display none -monitor none -no-reboot \
		-chardev stdio,id=console,signal=off,logfile="$out/console.log",logappend=on -serial chardev:console \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "$kernel" -initrd "$initramfs" \
		-append "console=ttyS0 panic=-1 oops=panic quiet raid=noautodetect psmouse.proto=exps ${arguments[*]} $*" \
		"${disks[@]}" -pidfile "$out/qemu.pid" \
		</dev/null
}

# Copies the console through, keeps the token of the "@@DURABLE <token>" line and kills QEMU on "@@STOP".
stop_at_sentinel() {
	local line
	while IFS= read -r line; do
		case $line in
			@@DURABLE\ *)
				line=${line%$'\r'}
				printf '%s\n' "${line#@@DURABLE }" >"$out/forced"
				printf '%s\n' "$line"
				;;
			@@STOP*)
				kill -KILL "$(cat "$out/qemu.pid")" && touch "$out/killed"
				printf '%s\n' "$line"
				echo "@@HOST stopped the VM hard (SIGKILL to QEMU) while it was writing"
				;;
			*) printf '%s\n' "$line" ;;
		esac
	done
}

if [ -n "$VM_HARD_STOP_SEED" ]; then
	boot "reactoraio.test.durable.seed=$VM_HARD_STOP_SEED" | stop_at_sentinel
	qemu=${PIPESTATUS[0]}
	if [ -s "$out/forced" ] && [ -f "$out/killed" ]; then
		boot "reactoraio.test.durable.forced=$(cat "$out/forced")"
		qemu=$?
	else
		echo "@@HOST the first boot ended without a @@DURABLE line and a hard stop (QEMU status $qemu)"
	fi
else
	boot
	qemu=$?
fi
rm -f "$out/data.img" "$out/faulty.img"
tar -xf "$out/results.img" -C "$out" 2>/dev/null
rm -f "$out/results.img"
case $qemu in
	33) exit 0 ;;
	35) exit 1 ;;
	124 | 137) echo "@@HOST the VM did not finish within $timeout s: killed"; exit 124 ;;
	*) echo "@@HOST no verdict from the VM (QEMU exit status $qemu)"; exit 2 ;;
esac
